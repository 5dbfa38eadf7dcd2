"""Signatures of backup archives: HMAC-SHA256 over the manifest, with a key from the
environment.

The manifest records the sha256 and size of the dump and of every media file, and a restore
refuses any member that differs from it or that it does not list; signing the manifest's
exact bytes therefore vouches for the whole archive. Without the key, whoever edits a row
and recomputes every hash still cannot produce the signature.

    BACKUP_SIGNING_KEY        the key backups are signed with (at least 32 characters)
    BACKUP_SIGNING_OLD_KEYS   earlier keys, comma-separated: archives they signed still verify

With DEBUG on and no key set, a key derived from SECRET_KEY stands in (with a warning), so a
laptop needs no setup; with DEBUG off a missing key is an error.
"""

import hashlib
import hmac
import json
import os
import re
from dataclasses import dataclass

from django.conf import settings

KEY_VARIABLE = "BACKUP_SIGNING_KEY"
OLD_KEYS_VARIABLE = "BACKUP_SIGNING_OLD_KEYS"
MINIMUM_KEY_LENGTH = 32
ALGORITHM = "HMAC-SHA256"
# Prefixed to what is signed so that a MAC made with the same key for any other purpose can
# never pass as a backup's signature.
CONTEXT = b"meihao-jiayuan-backup manifest signature v1\n"


class SigningError(Exception):
    """The key is missing or unusable, or an archive's signature does not verify."""


@dataclass(frozen=True)
class Key:
    secret: bytes
    development: bool = False

    @property
    def fingerprint(self):
        """Names the key in messages and in the archive without revealing it."""
        return hmac.new(self.secret, b"meihao-jiayuan-backup key id", hashlib.sha256).hexdigest()[
            :16
        ]


def _from_environment(value, variable):
    value = value.strip()
    if len(value) < MINIMUM_KEY_LENGTH:
        raise SigningError(
            f"环境变量 {variable} 中的备份签名密钥太短（{len(value)} 个字符，至少需要 "
            f'{MINIMUM_KEY_LENGTH} 个）。可用 python -c "import secrets; '
            'print(secrets.token_urlsafe(48))" 生成一个。'
        )
    return Key(value.encode("utf-8"))


def _development_key():
    derived = hmac.new(
        settings.SECRET_KEY.encode("utf-8"),
        b"meihao-jiayuan-backup signing key for development",
        hashlib.sha256,
    ).hexdigest()
    return Key(derived.encode("ascii"), development=True)


DEVELOPMENT_WARNING = (
    f"警告：没有设置环境变量 {KEY_VARIABLE}，备份签名改用由 SECRET_KEY 派生的开发用密钥"
    "（只在 DEBUG 模式下允许）。正式环境必须设置独立的签名密钥。"
)


def current_key(warn):
    """The key to sign with; in DEBUG without a key, the development key (after a warning)."""
    value = os.environ.get(KEY_VARIABLE, "")
    if value.strip():
        return _from_environment(value, KEY_VARIABLE)
    if settings.DEBUG:
        warn(DEVELOPMENT_WARNING)
        return _development_key()
    raise SigningError(
        f"没有设置环境变量 {KEY_VARIABLE}（备份签名密钥），正式环境（DEBUG 关闭）不能生成或"
        "校验备份。请设置一个至少 32 个字符的随机密钥，并与备份文件分开保管，"
        "见 docs/operations-backup.md。"
    )


def verifying_keys(warn):
    """The current key, then every old key still accepted for archives signed before."""
    keys = [current_key(warn)]
    for value in os.environ.get(OLD_KEYS_VARIABLE, "").split(","):
        if value.strip():
            keys.append(_from_environment(value, OLD_KEYS_VARIABLE))
    return keys


def _mac(secret, manifest):
    return hmac.new(secret, CONTEXT + manifest, hashlib.sha256).hexdigest()


def signature(manifest, key):
    """The signature member's bytes for the manifest's exact bytes."""
    document = {
        "algorithm": ALGORITHM,
        "signs": "manifest.json",
        "key_fingerprint": key.fingerprint,
        "hmac": _mac(key.secret, manifest),
    }
    return json.dumps(document, indent=2, sort_keys=True).encode("utf-8")


def verify(manifest, signed, path, warn):
    """Return the key that made `signed` (the signature member's bytes) for `manifest`, or
    raise SigningError saying whether the archive was changed or signed with another key."""
    try:
        document = json.loads(signed.decode("utf-8"))
        claimed, mac = document["key_fingerprint"], document["hmac"]
        # Shapes checked before use: the fingerprint goes into a message for the operator.
        if (
            document["algorithm"] != ALGORITHM
            or not isinstance(mac, str)
            or not isinstance(claimed, str)
            or not re.fullmatch(r"[0-9a-f]{16}", claimed)
        ):
            raise ValueError(document["algorithm"])
    except (UnicodeDecodeError, ValueError, KeyError, TypeError):
        raise SigningError(
            f"备份文件 {path} 的签名校验失败：签名文件无法读取，无法确认备份由本站生成且未被改动。"
            "拒绝恢复，未做任何改动。"
        ) from None
    keys = verifying_keys(warn)
    for key in keys:
        # compare_digest: the time taken says nothing about how much of a forged MAC was right.
        if hmac.compare_digest(_mac(key.secret, manifest), mac):
            return key
    if any(key.fingerprint == claimed for key in keys):
        raise SigningError(
            f"备份文件 {path} 的签名校验失败：清单在签名之后被改动过，备份内容可能被篡改。"
            "拒绝恢复，未做任何改动。请改用另一份备份。"
        )
    ours = "、".join(key.fingerprint for key in keys)
    raise SigningError(
        f"备份文件 {path} 的签名密钥与本机的不符（备份的密钥指纹 {claimed}，本机可用的密钥指纹 "
        f"{ours}），无法确认备份来源，拒绝恢复，未做任何改动。如果它是更换密钥之前的备份，"
        f"请把旧密钥加入环境变量 {OLD_KEYS_VARIABLE}。"
    )
