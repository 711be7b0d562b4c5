"""Certificates of conformity, their life and the public register (issue 13)."""


def issue(decision):
    """The committee's hook (R-CRT-1): the certificate of a granted decision."""
    from guichet.certificates.services import issue as issue_certificate

    return issue_certificate(decision)
