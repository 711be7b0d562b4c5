"""The Procfile is the truth of how the processes start (issue 23 §2): each entry names a
command that exists, with the options it accepts, and the web one listens on $PORT."""

import shlex

from django.core.management import get_commands, load_command_class

from tests.ops.platform import procfile


def test_the_procfile_starts_web_worker_scheduler_and_release_with_real_commands():
    found = procfile()
    assert set(found) == {"web", "worker", "scheduler", "release"}
    web = shlex.split(found["web"])
    assert web[:2] == ["gunicorn", "guichet.wsgi"] and "0.0.0.0:$PORT" in web
    commands = get_commands()
    for name in ("worker", "scheduler", "release"):
        words = shlex.split(found[name])
        assert words[:2] == ["python", "manage.py"], name
        command = words[2]
        assert command in commands, f"{name} : commande inconnue {command}"
        parser = load_command_class(commands[command], command).create_parser("manage.py", command)
        known = {option for action in parser._actions for option in action.option_strings}
        assert set(words[3:]) <= known, f"{name} : option inconnue"  # as it is started
