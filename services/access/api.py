"""HTTP routes of the access service: registering and revoking terminals (admin only)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from hall.http.auth import HallDep, requires
from services.ingest import Actor

router = APIRouter(tags=["terminals"])
Admin = Annotated[Actor, Depends(requires())]
TerminalId = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_\-.]{0,63}$")]


class TerminalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    terminal_id: TerminalId
    role: Annotated[str, Field(pattern="^(window|cashier|supervisor|auditor|admin)$")]
    window_no: Annotated[str | None, Field(min_length=1, max_length=32)] = None


@router.post("/v1/admin/terminals", status_code=201)
def register_terminal(body: TerminalIn, hall: HallDep, _: Admin) -> dict[str, Any]:
    """Register a terminal and issue its token (shown once; stored only as a hash)."""
    if body.window_no is not None and hall.intake.window_department(body.window_no) is None:
        from services.intake.catalogue import UnknownEntry

        raise UnknownEntry(f"window {body.window_no} is not in the catalogue")
    issued = hall.access.register(body.terminal_id, body.role, body.window_no)
    return {"terminal_id": issued.terminal_id, "token": issued.token}


@router.delete("/v1/admin/terminals/{terminal_id}", status_code=204)
def revoke_terminal(
    terminal_id: Annotated[str, Path(max_length=64)], request: Request, hall: HallDep, _: Admin
) -> None:
    """Revoke a terminal's token at once."""
    hall.access.revoke(terminal_id)
    request.app.state.tokens.forget(terminal_id)
