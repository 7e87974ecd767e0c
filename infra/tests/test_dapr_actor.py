"""A Dapr actor on a real daprd: state, a timer, and a reminder that outlives deactivation."""

import asyncio
import contextlib
import time
from datetime import timedelta

from dapr.actor import Actor, ActorInterface, ActorProxy, Remindable, actormethod
from dapr.actor.id import ActorId
from dapr.actor.runtime.config import ActorRuntimeConfig
from dapr.actor.runtime.runtime import ActorRuntime
from dapr.ext.fastapi import DaprActor
from fastapi import FastAPI

pytest_plugins = ["infra.dapr.pytest_plugin"]

EVENTS: list[tuple[str, str]] = []


class ConversationInterface(ActorInterface):
    @actormethod(name="Remember")
    async def remember(self, turn: str) -> int: ...

    @actormethod(name="Snapshot")
    async def snapshot(self) -> dict: ...

    @actormethod(name="StartTicking")
    async def start_ticking(self) -> None: ...

    @actormethod(name="StopTicking")
    async def stop_ticking(self) -> None: ...

    @actormethod(name="RemindMe")
    async def remind_me(self, seconds: float) -> None: ...


class ConversationActor(Actor, ConversationInterface, Remindable):
    async def _on_activate(self) -> None:
        EVENTS.append(("activate", self.id.id))

    async def _on_deactivate(self) -> None:
        EVENTS.append(("deactivate", self.id.id))

    async def _get(self, name: str, default):
        found, value = await self._state_manager.try_get_state(name)
        return value if found else default

    async def remember(self, turn: str) -> int:
        turns = await self._get("turns", []) + [turn]
        await self._state_manager.set_state("turns", turns)
        await self._state_manager.save_state()
        return len(turns)

    async def snapshot(self) -> dict:
        return {"turns": await self._get("turns", []), "ticks": await self._get("ticks", 0),
                "reminded": await self._get("reminded", [])}

    async def start_ticking(self) -> None:
        every = timedelta(milliseconds=200)
        await self.register_timer("tick", self._tick, None, every, every)

    async def stop_ticking(self) -> None:
        await self.unregister_timer("tick")

    async def _tick(self, _state) -> None:
        await self._state_manager.set_state("ticks", await self._get("ticks", 0) + 1)
        await self._state_manager.save_state()

    async def remind_me(self, seconds: float) -> None:
        await self.register_reminder("follow-up", b"check on the customer", timedelta(seconds=seconds),
                                     timedelta(hours=1))

    async def receive_reminder(self, name, state, due_time, period, ttl=None) -> None:
        EVENTS.append(("reminder", self.id.id))
        reminded = await self._get("reminded", []) + [f"{name}:{state.decode()}"]
        await self._state_manager.set_state("reminded", reminded)
        await self._state_manager.save_state()
        await self.unregister_reminder(name)


def actor_app() -> FastAPI:
    ActorRuntime.set_actor_config(ActorRuntimeConfig(actor_idle_timeout=timedelta(seconds=1),
                                                     actor_scan_interval=timedelta(milliseconds=500)))

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI):
        await actors.register_actor(ConversationActor)
        yield

    app = FastAPI(lifespan=lifespan)
    actors = DaprActor(app)
    return app


async def _until(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while True:
        value = await predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


def test_actor_state_timer_and_reminder_across_deactivation(component_set, dapr_sidecar):
    dapr_sidecar("conversations", app=actor_app(), components=component_set)
    actor_id = f"conv-{component_set}-{time.time_ns()}"

    async def scenario() -> None:
        proxy = ActorProxy.create("ConversationActor", ActorId(actor_id), ConversationInterface)
        assert await proxy.Remember("hello") == 1
        assert await proxy.Remember("my order is late") == 2

        await proxy.StartTicking()
        await _until(lambda: _ticks(proxy, at_least=3), 10, "three timer ticks")
        await proxy.StopTicking()

        await proxy.RemindMe(2.5)
        async def deactivated():
            return ("deactivate", actor_id) in EVENTS
        await _until(deactivated, 10, "idle deactivation")
        async def reminded():
            return ("reminder", actor_id) in EVENTS
        await _until(reminded, 15, "the reminder")

        mine = [kind for kind, who in EVENTS if who == actor_id]
        assert mine.index("deactivate") < mine.index("reminder")
        assert mine.count("activate") >= 2  # the reminder re-activated the actor
        snap = await proxy.Snapshot()
        assert snap["turns"] == ["hello", "my order is late"]  # state survived deactivation
        assert snap["ticks"] >= 3
        assert snap["reminded"] == ["follow-up:check on the customer"]

    asyncio.run(scenario())


async def _ticks(proxy, at_least: int) -> bool:
    return (await proxy.Snapshot())["ticks"] >= at_least
