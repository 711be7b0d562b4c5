"""Settings of bench_register.py's server: the site's own, with the bare views of
`_register_urls.py` beside its pages."""

from guichet.settings import *  # noqa: F403

ROOT_URLCONF = "_register_urls"
