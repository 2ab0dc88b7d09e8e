import pytest
from django.core.exceptions import ImproperlyConfigured

from config import settings as studyhall_settings


def test_env_bool_reads_true_and_false(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLAG", "yes")
    assert studyhall_settings.env_bool("FLAG", False) is True
    monkeypatch.setenv("FLAG", "off")
    assert studyhall_settings.env_bool("FLAG", True) is False


def test_env_bool_default_when_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FLAG", raising=False)
    assert studyhall_settings.env_bool("FLAG", True) is True


def test_env_bool_fails_loudly_on_garbage(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="FLAG"):
        studyhall_settings.env_bool("FLAG", False)


def test_env_int_fails_loudly_on_garbage(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COUNT", "ten")
    with pytest.raises(ImproperlyConfigured, match="COUNT"):
        studyhall_settings.env_int("COUNT", 1)


def test_env_list_splits_and_trims(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOSTS", " a.example , b.example,,")
    assert studyhall_settings.env_list("HOSTS", []) == ["a.example", "b.example"]
