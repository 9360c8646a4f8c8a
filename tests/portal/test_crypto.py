import pytest
from cryptography.fernet import Fernet

from portal import crypto


def test_a_value_round_trips_and_is_not_stored_in_clear(settings):
    token = crypto.encrypt_json({"password": "hunter2-very-secret"})

    assert "hunter2" not in token
    assert crypto.decrypt_json(token) == {"password": "hunter2-very-secret"}


def test_rotation_keeps_old_values_readable_and_rewrites_them_with_the_new_key(settings):
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.ENCRYPTION_KEYS = [old_key]
    stored = crypto.encrypt("s3cret")

    settings.ENCRYPTION_KEYS = [new_key, old_key]
    assert crypto.decrypt(stored) == "s3cret"
    rotated = crypto.rotate(stored)

    settings.ENCRYPTION_KEYS = [new_key]
    assert crypto.decrypt(rotated) == "s3cret"
    with pytest.raises(crypto.DecryptionError, match="cannot be decrypted"):
        crypto.decrypt(stored)


def test_an_altered_value_is_refused(settings):
    token = crypto.encrypt("s3cret")

    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(token[:-4] + "AAAA")
