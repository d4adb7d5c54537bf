"""The reporting service: call reports and call rows projected from the CALLS and PROGRAMS
streams, served under ``/api/call-report`` and ``/api/calls``, and the public outcome events."""
