"""Encryption of secrets that seatmgr must be able to read back, such as a Salesforce access token.

Unlike invitation tokens (stored only as a hash), an access token has to be sent to Salesforce
again, so it is stored encrypted with Fernet (AES-128-CBC + HMAC-SHA256, authenticated). The key
is derived with HKDF-SHA256 under a fixed salt and `info` below from each key of
`settings.FIELD_ENCRYPTION_KEYS` (newest first: the first encrypts, any decrypts), so the derived
keys are used for nothing else.

FIELD_ENCRYPTION_KEYS empty (the default) means `[SECRET_KEY, *SECRET_KEY_FALLBACKS]`, as before
the setting existed: rotating SECRET_KEY makes every saved connection unreadable unless the old key
stays listed in SECRET_KEY_FALLBACKS. To give encryption keys of their own without losing saved
tokens, set FIELD_ENCRYPTION_KEYS=<new key>,<current SECRET_KEY>; to rotate them, put a new key
first and keep the old ones after it. An unreadable token raises `SecretUnreadable`; the
Salesforce import turns that into a message asking the super admin to save the connection again
with a fresh access token.
"""

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

# Both are part of the stored format: changing either makes every saved secret unreadable.
_HKDF_SALT = b"seatmgr.invitations.crypto"
_HKDF_INFO = b"seatmgr salesforce token"


class SecretUnreadable(Exception):
    """The ciphertext was made with another key, was altered, or is not a ciphertext at all."""


def _fernet(secret_key: str) -> Fernet:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=_HKDF_SALT, info=_HKDF_INFO).derive(
        secret_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(derived))


def _keys() -> MultiFernet:
    """The configured keys, newest first: MultiFernet encrypts with the first, decrypts with any."""
    keys = list(getattr(settings, "FIELD_ENCRYPTION_KEYS", None) or []) or [
        settings.SECRET_KEY,
        *getattr(settings, "SECRET_KEY_FALLBACKS", []),
    ]
    return MultiFernet([_fernet(key) for key in keys])


def secret_encrypt(plaintext: str) -> str:
    """Encrypt `plaintext` with the newest key; the result is ASCII, safe in a TextField."""
    return _keys().encrypt(plaintext.encode()).decode("ascii")


def secret_decrypt(ciphertext: str) -> str:
    """Decrypt what `secret_encrypt` made, with any of the configured keys."""
    try:
        return _keys().decrypt(ciphertext).decode()
    except (InvalidToken, ValueError, TypeError) as error:
        # ValueError covers non-ASCII input and a plaintext that is not UTF-8.
        raise SecretUnreadable(
            "The secret cannot be decrypted with the configured keys."
        ) from error
