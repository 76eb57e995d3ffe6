from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...types import Response, UNSET
from ... import errors

from ...models.error_body import ErrorBody
from ...models.event_page_body import EventPageBody
from ...models.event_source import EventSource
from ...types import UNSET, Unset
from typing import cast
import datetime



def _get_kwargs(
    *,
    type_: str | Unset = UNSET,
    user_id: str | Unset = UNSET,
    channel: str | Unset = UNSET,
    account: str | Unset = UNSET,
    since: datetime.datetime | Unset = UNSET,
    until: datetime.datetime | Unset = UNSET,
    cursor: str | Unset = UNSET,
    limit: int | Unset = UNSET,
    source: EventSource | Unset = UNSET,

) -> dict[str, Any]:
    

    

    params: dict[str, Any] = {}

    params["type"] = type_

    params["user_id"] = user_id

    params["channel"] = channel

    params["account"] = account

    json_since: str | Unset = UNSET
    if not isinstance(since, Unset):
        json_since = since.isoformat()
    params["since"] = json_since

    json_until: str | Unset = UNSET
    if not isinstance(until, Unset):
        json_until = until.isoformat()
    params["until"] = json_until

    params["cursor"] = cursor

    params["limit"] = limit

    json_source: str | Unset = UNSET
    if not isinstance(source, Unset):
        json_source = source.value

    params["source"] = json_source


    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}


    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/v1/events",
        "params": params,
    }


    return _kwargs



def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> ErrorBody | EventPageBody | None:
    if response.status_code == 200:
        response_200 = EventPageBody.from_dict(response.json())



        return response_200

    if response.status_code == 400:
        response_400 = ErrorBody.from_dict(response.json())



        return response_400

    if response.status_code == 401:
        response_401 = ErrorBody.from_dict(response.json())



        return response_401

    if response.status_code == 403:
        response_403 = ErrorBody.from_dict(response.json())



        return response_403

    if response.status_code == 503:
        response_503 = ErrorBody.from_dict(response.json())



        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[ErrorBody | EventPageBody]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    type_: str | Unset = UNSET,
    user_id: str | Unset = UNSET,
    channel: str | Unset = UNSET,
    account: str | Unset = UNSET,
    since: datetime.datetime | Unset = UNSET,
    until: datetime.datetime | Unset = UNSET,
    cursor: str | Unset = UNSET,
    limit: int | Unset = UNSET,
    source: EventSource | Unset = UNSET,

) -> Response[ErrorBody | EventPageBody]:
    """ List stored callbacks

     Newest first. Filter by type (exact, or a prefix such as `event.*`),
    member, channel and arrival time; page with `cursor`.

    Args:
        type_ (str | Unset):
        user_id (str | Unset):
        channel (str | Unset):
        account (str | Unset):
        since (datetime.datetime | Unset):
        until (datetime.datetime | Unset):
        cursor (str | Unset):
        limit (int | Unset):
        source (EventSource | Unset): Where `GET /api/v1/events` reads.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | EventPageBody]
     """


    kwargs = _get_kwargs(
        type_=type_,
user_id=user_id,
channel=channel,
account=account,
since=since,
until=until,
cursor=cursor,
limit=limit,
source=source,

    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)

def sync(
    *,
    client: AuthenticatedClient,
    type_: str | Unset = UNSET,
    user_id: str | Unset = UNSET,
    channel: str | Unset = UNSET,
    account: str | Unset = UNSET,
    since: datetime.datetime | Unset = UNSET,
    until: datetime.datetime | Unset = UNSET,
    cursor: str | Unset = UNSET,
    limit: int | Unset = UNSET,
    source: EventSource | Unset = UNSET,

) -> ErrorBody | EventPageBody | None:
    """ List stored callbacks

     Newest first. Filter by type (exact, or a prefix such as `event.*`),
    member, channel and arrival time; page with `cursor`.

    Args:
        type_ (str | Unset):
        user_id (str | Unset):
        channel (str | Unset):
        account (str | Unset):
        since (datetime.datetime | Unset):
        until (datetime.datetime | Unset):
        cursor (str | Unset):
        limit (int | Unset):
        source (EventSource | Unset): Where `GET /api/v1/events` reads.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | EventPageBody
     """


    return sync_detailed(
        client=client,
type_=type_,
user_id=user_id,
channel=channel,
account=account,
since=since,
until=until,
cursor=cursor,
limit=limit,
source=source,

    ).parsed

async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    type_: str | Unset = UNSET,
    user_id: str | Unset = UNSET,
    channel: str | Unset = UNSET,
    account: str | Unset = UNSET,
    since: datetime.datetime | Unset = UNSET,
    until: datetime.datetime | Unset = UNSET,
    cursor: str | Unset = UNSET,
    limit: int | Unset = UNSET,
    source: EventSource | Unset = UNSET,

) -> Response[ErrorBody | EventPageBody]:
    """ List stored callbacks

     Newest first. Filter by type (exact, or a prefix such as `event.*`),
    member, channel and arrival time; page with `cursor`.

    Args:
        type_ (str | Unset):
        user_id (str | Unset):
        channel (str | Unset):
        account (str | Unset):
        since (datetime.datetime | Unset):
        until (datetime.datetime | Unset):
        cursor (str | Unset):
        limit (int | Unset):
        source (EventSource | Unset): Where `GET /api/v1/events` reads.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | EventPageBody]
     """


    kwargs = _get_kwargs(
        type_=type_,
user_id=user_id,
channel=channel,
account=account,
since=since,
until=until,
cursor=cursor,
limit=limit,
source=source,

    )

    response = await client.get_async_httpx_client().request(
        **kwargs
    )

    return _build_response(client=client, response=response)

async def asyncio(
    *,
    client: AuthenticatedClient,
    type_: str | Unset = UNSET,
    user_id: str | Unset = UNSET,
    channel: str | Unset = UNSET,
    account: str | Unset = UNSET,
    since: datetime.datetime | Unset = UNSET,
    until: datetime.datetime | Unset = UNSET,
    cursor: str | Unset = UNSET,
    limit: int | Unset = UNSET,
    source: EventSource | Unset = UNSET,

) -> ErrorBody | EventPageBody | None:
    """ List stored callbacks

     Newest first. Filter by type (exact, or a prefix such as `event.*`),
    member, channel and arrival time; page with `cursor`.

    Args:
        type_ (str | Unset):
        user_id (str | Unset):
        channel (str | Unset):
        account (str | Unset):
        since (datetime.datetime | Unset):
        until (datetime.datetime | Unset):
        cursor (str | Unset):
        limit (int | Unset):
        source (EventSource | Unset): Where `GET /api/v1/events` reads.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | EventPageBody
     """


    return (await asyncio_detailed(
        client=client,
type_=type_,
user_id=user_id,
channel=channel,
account=account,
since=since,
until=until,
cursor=cursor,
limit=limit,
source=source,

    )).parsed
