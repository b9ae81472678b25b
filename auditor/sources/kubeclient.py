"""The Kubernetes API client of the cluster reads (and the worker's Leases).

Owns: a dedicated client per cluster (kubeconfig file + context, or the in-cluster service
account; never the library's global default), urllib3's own retries off, and GETs of raw JSON with
our retries and backoff of transient failures. Every ``kubernetes``/``urllib3`` exception becomes a
``RequestFailed`` or a ``ClusterError`` here.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import urllib3.exceptions
from kubernetes.client import ApiClient, Configuration
from kubernetes.client.exceptions import OpenApiException
from kubernetes.config import ConfigException, new_client_from_config
from kubernetes.config.incluster_config import (
    SERVICE_CERT_FILENAME,
    SERVICE_TOKEN_FILENAME,
    InClusterConfigLoader,
)

from auditor.errors import ClusterError
from auditor.model import Body
from auditor.sources.apidocs import JSON, RequestFailed, cut, decode

logger = logging.getLogger(__name__)

__all__ = ["Http", "api_client", "connect"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Http:
    """GETs of JSON documents on one API server, with retries of transient failures."""

    client: Any  # kubernetes.client.ApiClient
    cluster: str
    timeout: float
    attempts: int
    backoff: float

    def get(self, path: str, *, query: Sequence[tuple[str, Any]] = (), accept: str = JSON) -> Body:
        attempt = 1
        while True:
            try:
                return self._get_once(path, list(query), accept)
            except RequestFailed as e:
                if not e.transient:
                    raise
                if attempt >= self.attempts:
                    tries = f"{attempt} attempt" + ("s" if attempt > 1 else "")
                    raise RequestFailed(
                        f"{e.reason} after {tries}",
                        status=e.status,
                        transient=True,
                        detail=e.detail,
                    ) from e
                delay = self.backoff * 2 ** (attempt - 1)
                extra = {"action": "retry", "resource": path, "cluster": self.cluster}
                logger.debug("GET %s: %s, retry in %.2fs", path, e.reason, delay, extra=extra)
                time.sleep(delay)
                attempt += 1

    def _get_once(self, path: str, query: list[tuple[str, Any]], accept: str) -> Body:
        try:
            method, url, headers, _, _ = self.client.param_serialize(
                "GET",
                path,
                query_params=query,
                header_params={"Accept": accept},
                auth_settings=["BearerToken"],
            )
            response = self.client.call_api(
                method, url, header_params=headers, _request_timeout=self.timeout
            )
            try:
                data: bytes = response.read()
            finally:
                response.response.release_conn()
        except (OpenApiException, ConfigException) as e:
            raise RequestFailed("client error", detail=cut(e)) from e
        except urllib3.exceptions.NewConnectionError as e:
            raise RequestFailed("connection failed", transient=True, detail=cut(e)) from e
        except urllib3.exceptions.TimeoutError as e:
            raise RequestFailed("timeout", transient=True, detail=cut(e)) from e
        except (urllib3.exceptions.HTTPError, OSError) as e:
            raise RequestFailed("connection failed", transient=True, detail=cut(e)) from e
        return decode(response.status, data)


# -- client ---------------------------------------------------------------------------------------


def connect(
    *, name: str, kubeconfig: str | None, context: str | None, environ: Mapping[str, str]
) -> Any:
    """A new ApiClient on its own Configuration; urllib3 retries off (we retry, with backoff)."""
    cfg = Configuration()
    cfg.retries = False
    in_cluster = kubeconfig is None and context is None and "KUBERNETES_SERVICE_HOST" in environ
    source = (
        "in-cluster config" if in_cluster else f"kubeconfig {_kubeconfig_path(kubeconfig, environ)}"
    )
    try:
        if in_cluster:
            loader = InClusterConfigLoader(  # type: ignore[no-untyped-call]
                token_filename=SERVICE_TOKEN_FILENAME,
                cert_filename=SERVICE_CERT_FILENAME,
                environ=environ,
            )
            loader.load_and_set(cfg)  # type: ignore[no-untyped-call]
            return ApiClient(configuration=cfg)
        path = _kubeconfig_path(kubeconfig, environ)
        if os.pathsep not in path and not os.path.exists(path):
            raise FileNotFoundError(f"no such file: {path}")
        return new_client_from_config(  # type: ignore[no-untyped-call]
            config_file=path, context=context, persist_config=False, client_configuration=cfg
        )
    except Exception as e:  # the loaders raise ConfigException, OSError, YAML and type errors
        where = f"{source}, context {context}" if context else source
        raise ClusterError(
            f"cluster {name}: cannot load {where}: {cut(e)}", subject=f"cluster {name}"
        ) from e


def api_client(
    *, name: str, kubeconfig: str | None, context: str | None, environ: Mapping[str, str]
) -> Any:
    """A dedicated ``ApiClient`` as the cluster reads use it (the worker's Leases share it);
    ``ClusterError`` when the kubeconfig or in-cluster config cannot be loaded."""
    return connect(name=name, kubeconfig=kubeconfig, context=context, environ=environ)


def _kubeconfig_path(kubeconfig: str | None, environ: Mapping[str, str]) -> str:
    if kubeconfig:
        return os.path.expanduser(kubeconfig)
    paths = environ.get("KUBECONFIG") or "~/.kube/config"
    return os.pathsep.join(os.path.expanduser(p) for p in paths.split(os.pathsep))
