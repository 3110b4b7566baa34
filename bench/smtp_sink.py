"""An SMTP server for the email benchmark: aiosmtpd on loopback, in a process of its own (so it
never competes with the sender for one interpreter's GIL), counting the messages it accepts in
shared memory that the benchmark reads."""

import multiprocessing
import time

from bench.common import free_port, port_open


class _Counting:
    def __init__(self, counter) -> None:
        self.counter = counter

    async def handle_DATA(self, server, session, envelope):
        with self.counter.get_lock():
            self.counter.value += 1
        return "250 Message accepted for delivery"


def _serve(port: int, counter, stop) -> None:
    from aiosmtpd.controller import Controller

    controller = Controller(_Counting(counter), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        stop.wait()
    finally:
        controller.stop()


class SmtpSink:
    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self.port = free_port()
        self._counter = context.Value("q", 0)
        self._stop = context.Event()
        self._process = context.Process(
            target=_serve, args=(self.port, self._counter, self._stop), daemon=True
        )

    def start(self) -> "SmtpSink":
        self._process.start()
        deadline = time.monotonic() + 30
        while not port_open(self.port):
            if time.monotonic() > deadline or not self._process.is_alive():
                raise RuntimeError("the SMTP server did not start")
            time.sleep(0.05)
        return self

    @property
    def count(self) -> int:
        return self._counter.value

    def reset(self) -> None:
        with self._counter.get_lock():
            self._counter.value = 0

    def wait_for(self, expected: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self._counter.value < expected:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self._counter.value} of {expected} emails within {timeout}s")
            time.sleep(0.005)

    def stop(self) -> None:
        self._stop.set()
        self._process.join(timeout=10)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(timeout=5)
