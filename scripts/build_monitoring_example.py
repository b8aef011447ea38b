"""Build the illustrative monitoring file for 黑水 (防止返贫动态监测 village totals, 2021–2025): deterministic.

    python scripts/build_monitoring_example.py [--frequency yearly|monthly] [--out data/examples]

The file is a village-level summary as a county would report it: a title row saying 示意 (illustrative, not real
data), a header of the usual Chinese monitoring headers, and one row per village and period. The villages are the
seed's illustrative villages (data/seed/heishui/villages.csv: ids heishui-NNNNN, invented names 示意村NNN), never a
real village. Periods: yearly gives each year's 12月 figure for 2021–2024 and the 2025年6月 figure (a year in
progress); monthly gives every month from 2021年1月 to 2025年6月.

Figures are invented but consistent: the three kinds add up to the monitored households and people, risk
eliminated + not eliminated = monitored, people ≥ households, 户籍人口 is the seed village's rural population, counts grow slowly as households enter monitoring
and their risk is eliminated; per-capita disposable income rises about 7 % a year.
"""
from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
SEED_VILLAGES = ROOT / "data" / "seed" / "heishui" / "villages.csv"
OUT_DIR = ROOT / "data" / "examples"
SEED = 20210101  # the generator's random seed: same file every run
TITLE = "黑水县防止返贫动态监测村级汇总表（示意数据，非真实数据）2021—2025年"
HEADER = ["村编号", "村名", "统计时点", "户籍人口", "监测对象户数", "监测对象人数", "脱贫不稳定户户数", "脱贫不稳定户人数",
          "边缘易致贫户户数", "边缘易致贫户人数", "突发严重困难户户数", "突发严重困难户人数", "风险已消除户数",
          "风险已消除人数", "风险未消除户数", "风险未消除人数", "人均可支配收入"]
LAST = (2025, 6)  # the latest period in the file: mid-2025
MONITORED_SHARE = (0.004, 0.02)  # monitored people / rural population, drawn per village
KIND_SHARES = (0.55, 0.35, 0.10)  # 脱贫不稳定户, 边缘易致贫户, 突发严重困难户 (expected shares of households)
PEOPLE_PER_HOUSEHOLD = (2.0, 4.5)  # drawn per village
INCOME_2021_YUAN = (11_000, 15_000)  # per-capita disposable income in 2021, drawn per village
INCOME_GROWTH = 0.07  # a year


def file_name(frequency: str) -> str:
    """Return the example's file name (it says 示意)."""
    return f"heishui_monitoring_2021-2025_{frequency}_示意.csv"


def periods(frequency: str) -> list[tuple[int, int]]:
    """Return the (year, month) periods of the file, oldest first."""
    if frequency == "monthly":
        return [(y, m) for y in range(2021, LAST[0] + 1) for m in range(1, 13) if (y, m) <= LAST]
    return [(y, 12) for y in range(2021, LAST[0])] + [LAST]


def build(frequency: str = "yearly") -> pd.DataFrame:
    """Return the example rows (one per village and period) under HEADER."""
    villages = pd.read_csv(SEED_VILLAGES, dtype={"village_id": str}, encoding="utf-8-sig")
    rng = np.random.default_rng(SEED)
    n = len(villages)
    rural = villages["rural_population"].to_numpy()
    share = rng.uniform(*MONITORED_SHARE, n)
    size = rng.uniform(*PEOPLE_PER_HOUSEHOLD, n)
    income0 = rng.uniform(*INCOME_2021_YUAN, n)
    steps = periods(frequency)
    # households ever monitored by the end of each period: a slow climb (new entries), never falling
    target = np.maximum(np.round(rural * share / size), 0).astype(int)
    rows = []
    for village in range(n):
        entered = np.sort(rng.integers(0, len(steps) + len(steps) // 3, target[village]))  # period each entered
        eliminated_after = rng.integers(2, 10 if frequency == "yearly" else 30, target[village])  # periods at risk
        kinds = rng.choice(3, target[village], p=KIND_SHARES)
        people = np.maximum(1, np.round(rng.normal(size[village], 0.8, target[village]))).astype(int)
        for step, (year, month) in enumerate(steps):
            inside = entered <= step
            safe = inside & (entered + eliminated_after <= step)
            at_risk = inside & ~safe
            by_kind = [(int((inside & (kinds == k)).sum()), int(people[inside & (kinds == k)].sum())) for k in range(3)]
            years = year - 2021 + (month - 1) / 12
            rows.append([
                villages["village_id"].iloc[village], villages["name"].iloc[village], f"{year}年{month}月",
                int(rural[village]), int(inside.sum()), int(people[inside].sum()),
                by_kind[0][0], by_kind[0][1], by_kind[1][0], by_kind[1][1], by_kind[2][0], by_kind[2][1],
                int(safe.sum()), int(people[safe].sum()), int(at_risk.sum()), int(people[at_risk].sum()),
                int(round(income0[village] * (1 + INCOME_GROWTH) ** years, -1)),
            ])
    return pd.DataFrame(rows, columns=HEADER)


def write(frame: pd.DataFrame, path: Path) -> None:
    """Write the title row, the header and the rows as CSV (utf-8-sig, as planners' Excel opens it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow([TITLE])
        writer.writerow(HEADER)
        writer.writerows(frame.itertuples(index=False, name=None))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frequency", choices=["yearly", "monthly"], default="yearly")
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="folder to write to (default data/examples)")
    args = parser.parse_args(argv)
    path = args.out / file_name(args.frequency)
    write(build(args.frequency), path)
    print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
