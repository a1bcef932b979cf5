"""The app's push devices (``/v1/me/devices``), authorised by the shop's JWT."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, delete, get, put
from litestar.di import Provide
from litestar.params import JSONBody, PathParameter

from api.deps import CustomerId, Now, provide_customer_id, provide_now
from loyalty.notify import devices
from schemas.notify import DeviceIn, DeviceOut

Token = Annotated[
    str,
    PathParameter(
        min_length=16,
        max_length=1024,
        pattern=r"^[A-Za-z0-9_:.\-]+$",
        description="The FCM registration token or the APNs device token (hex).",
    ),
]


def device_out(row: dict[str, Any]) -> DeviceOut:
    return DeviceOut(**row)


class DevicesController(Controller):
    path = "/v1/me/devices"
    tags = ["shopper"]
    dependencies = {"customer_id": Provide(provide_customer_id), "now": Provide(provide_now)}
    security = [{"shopperJWT": []}]

    @get("/")
    async def list_devices(self, customer_id: CustomerId) -> list[DeviceOut]:
        """The devices that receive this shopper's pushes."""
        return [device_out(d) for d in await devices.of_member(customer_id)]

    @put("/{token:str}", status_code=200)
    async def register(
        self, token: Token, data: JSONBody[DeviceIn], customer_id: CustomerId, now: Now
    ) -> DeviceOut:
        """Register (or refresh) this phone's push token. Idempotent; a token registered by
        another member moves to this one. ``apns`` tokens are hex and ios-only; android
        devices use ``fcm``."""
        reg = devices.Registration(
            platform=data.platform,
            provider=data.provider,
            locale=data.locale,
            app_version=data.app_version,
        )
        return device_out(await devices.register(customer_id, token, reg, now=now))

    @delete("/{token:str}", status_code=204)
    async def unregister(self, token: Token, customer_id: CustomerId) -> None:
        """Stop pushes to this token (at logout). Deleting an unknown token is not an error."""
        await devices.unregister(customer_id, token)
