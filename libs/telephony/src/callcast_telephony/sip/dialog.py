"""Dialog state on the UAC side (RFC 3261 §12): created by a 2xx to our INVITE.

Pure data and message construction; sending is the user agent's job.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .headers import Headers, NameAddress, SipUri
from .message import SipRequest, SipResponse


@dataclass
class Dialog:
    call_id: str
    local: NameAddress  # our From, with our tag
    remote: NameAddress  # their To, with their tag
    remote_target: SipUri  # Contact of the 2xx: where in-dialog requests go
    route_set: list[str] = field(default_factory=list)
    local_seq: int = 1
    remote_seq: int | None = None
    invite_cseq: int = 1

    @classmethod
    def from_2xx(cls, invite: SipRequest, response: SipResponse) -> Dialog:
        """§12.1.2: the route set is the Record-Route of the 2xx in reverse order."""
        contacts = response.headers.get_all("Contact")
        # A 2xx without Contact is broken, but the Request-URI is the best guess to reach it.
        remote_target = NameAddress.parse(contacts[0]).uri if contacts else invite.request_uri
        remote = response.to
        cseq, _ = invite.cseq
        return cls(
            call_id=invite.call_id,
            local=invite.from_,
            remote=remote,
            remote_target=remote_target,
            route_set=list(reversed(response.headers.get_all("Record-Route"))),
            local_seq=cseq,
            invite_cseq=cseq,
        )

    @property
    def local_tag(self) -> str:
        return self.local.tag or ""

    @property
    def remote_tag(self) -> str:
        return self.remote.tag or ""

    def _loose_routing(self) -> bool:
        return not self.route_set or "lr" in NameAddress.parse(self.route_set[0]).uri.params

    def next_hop(self) -> SipUri:
        """First Route entry if any (loose or strict), else the remote target (§8.1.2)."""
        if self.route_set:
            return NameAddress.parse(self.route_set[0]).uri
        return self.remote_target

    def build_request(
        self,
        method: str,
        via: str,
        *,
        cseq: int | None = None,
        headers: list[tuple[str, str]] | None = None,
        body: bytes = b"",
        content_type: str | None = None,
    ) -> SipRequest:
        """An in-dialog request (§12.2.1.1). ``cseq=None`` takes the next local sequence number."""
        if cseq is None:
            self.local_seq += 1
            cseq = self.local_seq
        uri = str(self.remote_target)
        routes = list(self.route_set)
        if not self._loose_routing():  # strict router: it gets the Request-URI
            uri = str(NameAddress.parse(routes.pop(0)).uri)
            routes.append(f"<{self.remote_target}>")
        msg_headers = Headers()
        msg_headers.add("Via", via)
        for route in routes:
            msg_headers.add("Route", route)
        msg_headers.add("Max-Forwards", "70")
        msg_headers.add("From", str(self.local))
        msg_headers.add("To", str(self.remote))
        msg_headers.add("Call-ID", self.call_id)
        msg_headers.add("CSeq", f"{cseq} {method}")
        for name, value in headers or []:
            msg_headers.add(name, value)
        if content_type is not None:
            msg_headers.add("Content-Type", content_type)
        return SipRequest(headers=msg_headers, body=body, method=method, uri=uri)

    def matches(self, request: SipRequest) -> bool:
        """Is this request inside this dialog? (Call-ID and both tags, §12.2.2)."""
        return (
            request.call_id == self.call_id
            and request.to.tag == self.local_tag
            and request.from_.tag == self.remote_tag
        )

    def accept_remote_cseq(self, request: SipRequest) -> bool:
        """§12.2.2: a lower CSeq than the last one is out of order (answer 500)."""
        cseq, _ = request.cseq
        if request.method in ("ACK", "CANCEL"):
            return True
        if self.remote_seq is not None and cseq < self.remote_seq:
            return False
        self.remote_seq = cseq
        return True
