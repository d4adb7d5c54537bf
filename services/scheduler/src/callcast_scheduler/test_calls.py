"""Test calls (POST /api/flows/execute through the flow service): one job, one attempt, no execution."""

from __future__ import annotations

from callcast_contracts import ids
from callcast_contracts.envelope import envelope
from callcast_contracts.events import (
    DialRequested,
    TestCallRequested,
)
from callcast_contracts.subjects import Aggregate, Context, subject
from callcast_contracts.test_call import PlaceTestCallRequest
from callcast_runtime.logging import get_logger
from callcast_scheduler.adapters import repository as repo
from callcast_scheduler.domain import errors
from callcast_scheduler.service_base import (
    SchedulerBase,
    job_subject,
)

log = get_logger(__name__)


class TestCallHandlers(SchedulerBase):
    __test__ = False  # a use case about test calls, not a pytest class

    async def place_test_call(self, request: PlaceTestCallRequest) -> str:
        """Start a test call's job and dispatch its only attempt; the job id.

        The job belongs to no execution: its first event is ``TestCallRequested`` (expected
        sequence 0, under a new UUIDv7 job id), the dial command is attempt 1 with the
        deterministic attempt id, and the CALLS reactor closes the job with ``JobCompleted``.
        """
        org_id = request.org_id
        await self.await_copies()
        async with self.rt.db.connection() as conn:
            if request.contact_id is not None:
                found = await repo.live_contact(conn, org_id, request.contact_id)
                if found is None:
                    raise errors.contact_not_found(request.contact_id)
                contact_id, phone, contact = request.contact_id, str(found["phone"]), dict(found["snapshot"])
            else:
                contact = dict(request.contact or {})
                contact_id = str(contact.get("id") or ids.new_id())
                contact["id"] = contact_id
                phone = str(contact.get("primaryPhone") or "")
            if request.did_id is not None:
                did = await repo.get_did(conn, org_id, request.did_id)
                if did is None:
                    raise errors.did_not_found(request.did_id)
                if did["status"] != "active":
                    raise errors.did_not_active(request.did_id)
                caller_id = str(did["number"])
            else:
                caller_id = str(request.from_number or "")
        if not phone or not caller_id:
            raise errors.test_call_incomplete("primaryPhone" if not phone else "fromNumber")

        job_id = ids.new_id()
        attempt_id = ids.attempt_id(job_id, 1)
        flow = request.flow
        requested = envelope(
            TestCallRequested(
                job_id=job_id,
                attempt_id=attempt_id,
                flow_id=flow.flow_id,
                flow_version=flow.version,
                contact_id=contact_id,
                to=phone,
                caller_id=caller_id,
            ),
            org_id=org_id,
            aggregate_id=job_id,
        )
        await self.rt.events.append(
            job_subject(org_id, job_id), requested, msg_id=f"job-{job_id}-test-call", expected_last_seq=0
        )
        command = envelope(
            DialRequested(
                attempt_id=attempt_id,
                attempt_number=1,
                job_id=job_id,
                execution_id=None,
                program_id=None,
                contact_id=contact_id,
                to=phone,
                caller_id=caller_id,
                flow=flow,
                contact=contact,
                variables=dict(request.variables),
            ),
            org_id=org_id,
            aggregate_id=attempt_id,
            causation_id=requested.id,
            correlation_id=requested.correlation_id,
        )
        await self.rt.events.append(
            subject(Context.DIAL, org_id, Aggregate.ATTEMPT, attempt_id), command, msg_id=f"dial-{attempt_id}"
        )
        log.info("test call dispatched", job_id=job_id, flow_id=flow.flow_id, flow_version=flow.version)
        return job_id
