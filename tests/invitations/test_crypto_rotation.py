"""FIELD_ENCRYPTION_KEYS: newest first; the first encrypts, any of them decrypts. Unset, the keys
are derived from SECRET_KEY and SECRET_KEY_FALLBACKS, as before, so saved tokens stay readable."""

import pytest

from invitations.crypto import SecretUnreadable, secret_decrypt, secret_encrypt

OLD = "field-key-old-" + "o" * 40
NEW = "field-key-new-" + "n" * 40


def test_a_secret_under_an_old_key_still_decrypts_after_a_new_first_key(settings):
    settings.FIELD_ENCRYPTION_KEYS = [OLD]
    ciphertext = secret_encrypt("00Dxx!AQ.token")

    settings.FIELD_ENCRYPTION_KEYS = [NEW, OLD]

    assert secret_decrypt(ciphertext) == "00Dxx!AQ.token"


def test_the_first_key_encrypts(settings):
    settings.FIELD_ENCRYPTION_KEYS = [NEW, OLD]
    ciphertext = secret_encrypt("00Dxx!AQ.token")

    settings.FIELD_ENCRYPTION_KEYS = [NEW]
    assert secret_decrypt(ciphertext) == "00Dxx!AQ.token"
    settings.FIELD_ENCRYPTION_KEYS = [OLD]
    with pytest.raises(SecretUnreadable):
        secret_decrypt(ciphertext)


def test_a_secret_under_a_key_no_longer_listed_is_unreadable(settings):
    settings.FIELD_ENCRYPTION_KEYS = [OLD]
    ciphertext = secret_encrypt("00Dxx!AQ.token")

    settings.FIELD_ENCRYPTION_KEYS = [NEW]

    with pytest.raises(SecretUnreadable):
        secret_decrypt(ciphertext)


def test_encryption_keys_do_not_follow_secret_key_once_set(settings):
    settings.FIELD_ENCRYPTION_KEYS = [NEW]
    ciphertext = secret_encrypt("00Dxx!AQ.token")

    settings.SECRET_KEY = "a-rotated-secret-key-" + "y" * 40

    assert secret_decrypt(ciphertext) == "00Dxx!AQ.token"


def test_a_secret_saved_under_the_secret_key_is_read_when_that_key_is_listed(settings):
    """Moving to FIELD_ENCRYPTION_KEYS: list the current SECRET_KEY last and nothing is lost."""
    settings.FIELD_ENCRYPTION_KEYS = []
    current = settings.SECRET_KEY
    ciphertext = secret_encrypt("00Dxx!AQ.token")

    settings.FIELD_ENCRYPTION_KEYS = [NEW, current]
    settings.SECRET_KEY = "a-rotated-secret-key-" + "y" * 40

    assert secret_decrypt(ciphertext) == "00Dxx!AQ.token"
