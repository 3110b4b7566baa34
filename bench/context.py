"""State shared by the benchmarks of one run: sizes, the data sets (loaded once, on first use),
signed-in test clients, and the notes each benchmark leaves for the report."""

import time
from dataclasses import dataclass, field
from functools import cached_property

from bench.common import BACKEND, Sizes, log


@dataclass
class Context:
    sizes: Sizes
    quick: bool
    notes: dict[str, dict] = field(default_factory=dict)
    load_seconds: dict[str, float] = field(default_factory=dict)

    @cached_property
    def members(self):
        """The large account: the Users tab, the load test and the large export."""
        from bench.data import members_account

        start = time.perf_counter()
        log(f"loading an account with {self.sizes.members:,} members")
        data = members_account(
            name="Bench Large Co.", members=self.sizes.members, domain="large.example", seed=1
        )
        self.load_seconds["members"] = time.perf_counter() - start
        log(f"loaded in {self.load_seconds['members']:.1f} s")
        return data

    @cached_property
    def members_small(self):
        """The small account of the export benchmark (a tenth of the large one)."""
        from bench.data import members_account

        start = time.perf_counter()
        log(f"loading an account with {self.sizes.export_small:,} members")
        data = members_account(
            name="Bench Small Co.",
            members=self.sizes.export_small,
            domain="small.example",
            seed=2,
            admin_staff=False,
        )
        self.load_seconds["members_small"] = time.perf_counter() - start
        return data

    def client(self, user):
        """A test client signed in as `user` (a real session row, as a browser would have)."""
        from django.test import Client

        client = Client(HTTP_HOST="localhost")
        client.force_login(user, backend=BACKEND)
        return client
