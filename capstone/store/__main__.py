"""``python -m capstone.store``: migrate the configured database and add the demo data."""

from __future__ import annotations

import asyncio

from capstone.settings import HelpdeskSettings

from . import create_engine, seed_demo_data, session_factory, upgrade_to_head


async def _main(url: str) -> None:
    await upgrade_to_head(url)
    engine = create_engine(url)
    try:
        async with session_factory(engine).begin() as session:
            added = await seed_demo_data(session)
    finally:
        await engine.dispose()
    print(f"{url}: schema at head, {len(added)} demo customers added")


if __name__ == "__main__":
    asyncio.run(_main(HelpdeskSettings().database_url))
