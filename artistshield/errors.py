"""Errors that carry a sentence a person can act on.

Every failure the user can cause (a bad file, a wrong passphrase, a tampered
registry) is raised as an :class:`ArtistShieldError` whose message is shown
as-is by the command line and the app.
"""


class ArtistShieldError(Exception):
    """A failure with a message meant for the user."""


class ImageError(ArtistShieldError):
    """An image could not be read or written."""
