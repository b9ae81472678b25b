"""Senders backed by slack-sdk: the Web API (post, update, thread replies) and incoming webhooks.

``SlackNotifier`` retries 429 after Retry-After in the client (``RateLimitErrorRetryHandler``);
what still fails becomes a ``DeliveryError`` with Slack's error code (``channel_not_found``…),
``ratelimited``, ``http_<status>``, ``timeout`` or ``connection_error`` — never text that could
hold the token. ``WebhookNotifier`` can only post to the webhook's own channel: no updates, no
threads, so changes and resolves arrive as new messages.
"""

from __future__ import annotations

import itertools
import re
import socket
from collections.abc import Callable, Mapping
from typing import Any
from urllib.error import URLError

from auditor.deltas import SlackThread
from auditor.notify.base import DeliveryError, Posted
from auditor.render.slack import SlackMessage

_ERROR_CODE = re.compile(r"[a-z][a-z0-9_]{0,63}")
"""Slack error codes are short snake_case words; anything else (an HTML error page) is not a
reason worth a metric label, so it becomes ``http_<status>``."""
RATE_LIMIT_RETRIES = 2
TIMEOUT_SECONDS = 15


def _transport_error(e: BaseException) -> DeliveryError:
    cause = e.reason if isinstance(e, URLError) else e
    timed_out = isinstance(cause, (TimeoutError, socket.timeout))
    return DeliveryError("timeout" if timed_out else "connection_error", permanent=False)


def _api_error(status: int, error: object) -> DeliveryError:
    if status == 429:
        return DeliveryError("ratelimited", permanent=False)
    if status >= 500:
        return DeliveryError(f"http_{status}", permanent=False)
    if isinstance(error, str) and _ERROR_CODE.fullmatch(error):
        return DeliveryError(error)
    return DeliveryError(f"http_{status}", permanent=False)


def _handlers() -> list[Any]:
    from slack_sdk.http_retry.builtin_handlers import (
        ConnectionErrorRetryHandler,
        RateLimitErrorRetryHandler,
    )

    return [
        ConnectionErrorRetryHandler(max_retry_count=1),
        RateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
    ]


class SlackNotifier:
    """chat.postMessage / chat.update with a bot token (scopes: ``chat:write``, and
    ``chat:write.public`` to post in channels the bot was not invited to)."""

    can_update = True

    def __init__(self, token: str, *, base_url: str | None = None) -> None:
        from slack_sdk import WebClient

        kwargs: dict[str, Any] = {"timeout": TIMEOUT_SECONDS, "retry_handlers": _handlers()}
        if base_url:
            kwargs["base_url"] = base_url if base_url.endswith("/") else base_url + "/"
        self._client = WebClient(token=token, **kwargs)

    def post(
        self, channel: str, message: SlackMessage, *, thread: SlackThread | None = None
    ) -> Posted:
        args: dict[str, Any] = {
            "channel": thread.channel if thread else channel,
            "text": message.text,
            "blocks": [dict(b) for b in message.blocks],
            "unfurl_links": False,
            "unfurl_media": False,
        }
        if thread is not None:
            args["thread_ts"] = thread.ts
        data = self._call(self._client.chat_postMessage, args)
        return Posted(channel=str(data.get("channel") or args["channel"]), ts=str(data["ts"]))

    def update(self, thread: SlackThread, message: SlackMessage) -> None:
        args = {
            "channel": thread.channel,
            "ts": thread.ts,
            "text": message.text,
            "blocks": [dict(b) for b in message.blocks],
        }
        self._call(self._client.chat_update, args)

    @staticmethod
    def _call(method: Callable[..., Any], args: Mapping[str, Any]) -> Mapping[str, Any]:
        from slack_sdk.errors import SlackApiError

        try:
            response = method(**args)
        except SlackApiError as e:
            data = e.response.data if isinstance(e.response.data, dict) else {}
            raise _api_error(e.response.status_code, data.get("error")) from None
        except (URLError, OSError) as e:
            raise _transport_error(e) from None
        except ValueError:  # a body that is not JSON (a proxy's error page)
            raise DeliveryError("invalid_response", permanent=False) from None
        data = response.data
        if not isinstance(data, dict) or ("ts" not in data and method.__name__ != "chat_update"):
            raise DeliveryError("invalid_response", permanent=False)
        return data


class WebhookNotifier:
    """An incoming webhook: posts to the one channel the webhook belongs to. It cannot edit a
    message or reply in a thread, so every event is a new message."""

    can_update = False

    def __init__(self, url: str) -> None:
        from slack_sdk.webhook import WebhookClient

        self._client = WebhookClient(url, timeout=TIMEOUT_SECONDS, retry_handlers=_handlers())
        self._ids = itertools.count(1)

    def post(
        self, channel: str, message: SlackMessage, *, thread: SlackThread | None = None
    ) -> Posted:
        del thread  # webhooks cannot reply in threads
        try:
            response = self._client.send(
                text=message.text,
                blocks=[dict(b) for b in message.blocks],
                unfurl_links=False,
                unfurl_media=False,
            )
        except (URLError, OSError) as e:
            raise _transport_error(e) from None
        if response.status_code != 200:
            raise _api_error(response.status_code, (response.body or "").strip())
        return Posted(channel=channel, ts=f"webhook-{next(self._ids)}")

    def update(self, thread: SlackThread, message: SlackMessage) -> None:
        del thread, message
        raise DeliveryError("webhook_cannot_update", permanent=True)
