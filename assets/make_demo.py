#!/usr/bin/env python3
"""Build the vh5 demo file with the real versioned-hdf5 (2.6.0).

Usage: make_demo.py OUT.h5

A small, deterministic story (seeded RNG, explicit UTC timestamps):
a research desk keeps end-of-day market data and a lab's sensor readings in
one versioned file.  Eight versions on the main line, plus a two-version
"what-if" branch that is never made current.

Layout of the current version:
  /market            prices (days x tickers, f8), volume (gzip), tickers (vlen str),
                     calendar (i8 yyyymmdd)
  /market/fx         eurusd (f8 1-D, lzf)
  /lab/sensors       cube (time x 16 x 24, f4, 3-D chunks), ok (bool), station (S8)
  /lab/calibration   empty group holding only attributes
  /models/risk       weights (f8), params (compound name/value)
  /notes             journal (vlen str, non-ASCII)
"""

from __future__ import annotations

import datetime as dt
import os
import sys

import h5py
import numpy as np
from versioned_hdf5 import VersionedHDF5File


def _quiet_unraisable(unraisable):
    # harmless noise from versioned-hdf5 2.6.0 with h5py 3.16
    if isinstance(unraisable.exc_value, AttributeError) and "_dealloc" in str(unraisable.exc_value):
        return
    sys.__unraisablehook__(unraisable)


sys.unraisablehook = _quiet_unraisable

UTC = dt.timezone.utc
VLEN = h5py.string_dtype()
TICKERS = ["ACME", "BOLT", "CRUX", "DYNA", "EMBR", "FLUX", "GRID", "HALO", "IONX", "JADE", "KILO", "LUMA"]
PARAMS = np.dtype([("name", "S16"), ("value", "<f8")])


def business_days(start: dt.date, n: int):
    out, d = [], start
    while len(out) < n:
        if d.weekday() < 5:
            out.append(int(d.strftime("%Y%m%d")))
        d += dt.timedelta(days=1)
    return out


class Market:
    """Deterministic geometric random walk for the tickers."""

    def __init__(self, rng):
        self.rng = rng
        self.last = rng.uniform(20, 400, size=len(TICKERS))
        self.vol = rng.uniform(0.01, 0.03, size=len(TICKERS))

    def days(self, n):
        r = self.rng.normal(0.0003, self.vol, size=(n, len(TICKERS)))
        path = self.last * np.exp(np.cumsum(r, axis=0))
        self.last = path[-1]
        volume = (self.rng.lognormal(13, 0.4, size=(n, len(TICKERS)))).astype("i8")
        return np.round(path, 4), volume


def sensor_frames(rng, t0, n):
    t = np.arange(t0, t0 + n)[:, None, None]
    y = np.arange(16)[None, :, None]
    x = np.arange(24)[None, None, :]
    base = 20 + 3 * np.sin(t / 6.0) + 0.1 * y - 0.05 * x
    return (base + rng.normal(0, 0.2, size=(n, 16, 24))).astype("f4")


def grow(ds, extra):
    n = ds.shape[0]
    ds.resize((n + extra.shape[0],) + ds.shape[1:])
    ds[n:] = extra


def journal(g, text):
    j = g["notes/journal"]
    n = j.shape[0]
    j.resize((n + 1,))
    j[n] = text


def build(path):
    rng = np.random.default_rng(20250106)
    mkt = Market(rng)
    cal = business_days(dt.date(2025, 1, 6), 400)
    ts = lambda *a: dt.datetime(*a, tzinfo=UTC)  # noqa: E731

    with h5py.File(path, "w") as f:
        vf = VersionedHDF5File(f)

        # 1 ---------------------------------------------------------------
        with vf.stage_version("initial-load", timestamp=ts(2025, 3, 3, 18, 5, 0, 120000)) as g:
            g.attrs["author"] = "ingest-bot"
            g.attrs["message"] = "Initial load: 40 trading days, lab A sensors"
            g.attrs["run_id"] = 1001
            m = g.create_group("market")
            m.attrs["source"] = "synthetic EOD feed"
            m.attrs["currency"] = "USD"
            prices, volume = mkt.days(40)
            p = m.create_dataset("prices", data=prices, chunks=(32, 4), fillvalue=np.nan)
            p.attrs["units"] = "USD"
            p.attrs["axes"] = ["day", "ticker"]
            v = m.create_dataset("volume", data=volume, chunks=(32, 4), compression="gzip", compression_opts=6)
            v.attrs["units"] = "shares"
            m.create_dataset("tickers", data=np.array(TICKERS, dtype=object), dtype=VLEN, chunks=(16,))
            m.create_dataset("calendar", data=np.array(cal[:40], dtype="i8"), chunks=(64,))
            fx = m.create_group("fx")
            fx.create_dataset("eurusd", data=np.round(1.08 + np.cumsum(rng.normal(0, 0.002, 40)), 5),
                              chunks=(64,), compression="lzf")
            s = g.create_group("lab/sensors")
            s.attrs["site"] = "Lab A, bench 3"
            s.attrs["grid_mm"] = np.array([2.5, 2.5])
            c = s.create_dataset("cube", data=sensor_frames(rng, 0, 12), chunks=(4, 8, 8), fillvalue=np.float32(np.nan))
            c.attrs["units"] = "°C"
            c.attrs["dims"] = ["time", "y", "x"]
            s.create_dataset("ok", data=np.ones(12, dtype=bool), chunks=(16,))
            s.create_dataset("station", data=np.array([b"A-03"] * 12, dtype="S8"), chunks=(16,))
            cal_g = g.create_group("lab/calibration")
            cal_g.attrs["offset_c"] = -0.125
            cal_g.attrs["certified"] = True
            cal_g.attrs["coefficients"] = np.array([1.0, -2.5e-3, 4.0e-6])
            r = g.create_group("models/risk")
            r.attrs["model"] = "min-variance"
            r.create_dataset("weights", data=np.full(len(TICKERS), 1 / len(TICKERS)), chunks=(16,))
            r.create_dataset("params", data=np.array([(b"lookback", 40.0), (b"ridge", 1e-4), (b"max_w", 0.25)],
                                                     dtype=PARAMS), chunks=(8,))
            g.create_dataset("notes/journal", data=np.array(["Initial load."], dtype=object), dtype=VLEN, chunks=(8,))

        # 2 ---------------------------------------------------------------
        with vf.stage_version("eod-2025-03-31", timestamp=ts(2025, 3, 31, 18, 2, 11)) as g:
            g.attrs["author"] = "ingest-bot"
            g.attrs["message"] = "End of month append"
            prices, volume = mkt.days(20)
            grow(g["market/prices"], prices)
            grow(g["market/volume"], volume)
            grow(g["market/calendar"], np.array(cal[40:60], dtype="i8"))
            grow(g["market/fx/eurusd"], np.round(1.08 + np.cumsum(rng.normal(0, 0.002, 20)), 5))
            grow(g["lab/sensors/cube"], sensor_frames(rng, 12, 6))
            grow(g["lab/sensors/ok"], np.array([True, True, False, True, True, True]))
            grow(g["lab/sensors/station"], np.array([b"A-03"] * 6, dtype="S8"))
            journal(g, "Appended 20 days. Sensor frame 14 flagged (door open).")

        # 3 ---------------------------------------------------------------
        with vf.stage_version("fix-bad-tick", timestamp=ts(2025, 4, 1, 9, 30, 0)) as g:
            g.attrs["author"] = "j.doe"
            g.attrs["message"] = "Correct a fat-finger print on CRUX and DYNA"
            p = g["market/prices"]
            p[17, 2] = round(float(p[16, 2]) * 1.001, 4)
            p[45, 3] = np.nan  # unknown: halted
            p.attrs["corrections"] = np.array([17, 45], dtype="i8")
            journal(g, "Fixed CRUX day 17; DYNA day 45 halted → NaN.")

        # branch: what-if scenario from fix-bad-tick (never current) -------
        with vf.stage_version("scenario-shock", prev_version="fix-bad-tick", make_current=False,
                              timestamp=ts(2025, 4, 2, 14, 0, 0)) as g:
            g.attrs["author"] = "risk-team"
            g.attrs["message"] = "What-if: -15% shock on the last 5 days"
            g.attrs["shock"] = -0.15
            p = g["market/prices"]
            p[-5:, :] = np.round(p[-5:, :] * 0.85, 4)
            g["models/risk/weights"][:] = np.array([0.2, 0.05, 0.05, 0.1, 0.0, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.1])
            journal(g, "Scenario: shock applied.")

        with vf.stage_version("scenario-hedged", prev_version="scenario-shock", make_current=False,
                              timestamp=ts(2025, 4, 2, 16, 45, 0)) as g:
            g.attrs["author"] = "risk-team"
            g.attrs["message"] = "Hedge overlay"
            g["models/risk"].create_dataset("hedge_ratio", data=np.linspace(0.0, 0.5, 12), chunks=(16,))
            journal(g, "Scenario: hedge overlay added.")

        # 4 ---------------------------------------------------------------
        with vf.stage_version("add-lab-b", timestamp=ts(2025, 4, 10, 11, 20, 0)) as g:
            g.attrs["author"] = "lab-tech"
            g.attrs["message"] = "New station B (sparse 3-D readings)"
            b = g.create_group("lab/station_b")
            b.attrs["site"] = "Lab B, roof"
            sp = b.create_dataset("cube", shape=(18, 16, 24), dtype="f4", chunks=(4, 8, 8), fillvalue=np.float32(np.nan))
            sp[0:4, 0:8, 0:8] = sensor_frames(rng, 0, 4)[:, 0:8, 0:8]
            sp[12, 10, 20] = 21.5
            journal(g, "Station B online; only the NW quadrant reports so far.")

        # 5 ---------------------------------------------------------------
        with vf.stage_version("eod-2025-04-30", timestamp=ts(2025, 4, 30, 18, 1, 40)) as g:
            g.attrs["author"] = "ingest-bot"
            g.attrs["message"] = "End of month append"
            prices, volume = mkt.days(21)
            grow(g["market/prices"], prices)
            grow(g["market/volume"], volume)
            grow(g["market/calendar"], np.array(cal[60:81], dtype="i8"))
            grow(g["market/fx/eurusd"], np.round(1.09 + np.cumsum(rng.normal(0, 0.002, 21)), 5))
            grow(g["lab/sensors/cube"], sensor_frames(rng, 18, 6))
            grow(g["lab/sensors/ok"], np.ones(6, dtype=bool))
            grow(g["lab/sensors/station"], np.array([b"A-03"] * 6, dtype="S8"))
            journal(g, "Appended 21 days.")

        # 6 ---------------------------------------------------------------
        with vf.stage_version("rebalance", timestamp=ts(2025, 5, 2, 8, 15, 0)) as g:
            g.attrs["author"] = "pm"
            g.attrs["message"] = "Quarterly rebalance; drop KILO"
            w = np.array([0.12, 0.08, 0.1, 0.1, 0.06, 0.1, 0.1, 0.08, 0.1, 0.08, 0.0, 0.08])
            g["models/risk/weights"][:] = w
            g["models/risk/params"][0] = (b"lookback", 60.0)
            g["models/risk"].attrs["rebalanced"] = "2025-05-02"
            journal(g, "Rebalanced: KILO weight → 0.")

        # 7 ---------------------------------------------------------------
        with vf.stage_version("cleanup", timestamp=ts(2025, 5, 5, 10, 0, 0)) as g:
            g.attrs["author"] = "j.doe"
            g.attrs["message"] = "Drop per-frame station labels; trim bad sensor frames"
            del g["lab/sensors/station"]
            c = g["lab/sensors/cube"]
            c[14] = np.float32(np.nan)
            journal(g, "Removed station labels (constant). Frame 14 blanked.")

        # 8 ---------------------------------------------------------------
        with vf.stage_version("eod-2025-05-30", timestamp=ts(2025, 5, 30, 18, 3, 5, 500000)) as g:
            g.attrs["author"] = "ingest-bot"
            g.attrs["message"] = "End of month append"
            prices, volume = mkt.days(20)
            grow(g["market/prices"], prices)
            grow(g["market/volume"], volume)
            grow(g["market/calendar"], np.array(cal[81:101], dtype="i8"))
            grow(g["market/fx/eurusd"], np.round(1.1 + np.cumsum(rng.normal(0, 0.002, 20)), 5))
            g["lab/station_b/cube"][4:8, 0:8, 0:8] = sensor_frames(rng, 4, 4)[:, 0:8, 0:8]
            journal(g, "Appended 20 days; station B frames 4–7.")


def main(argv):
    if len(argv) != 2:
        print("usage: make_demo.py OUT.h5", file=sys.stderr)
        return 2
    out = argv[1]
    if os.path.exists(out):
        os.remove(out)
    build(out)
    print(f"make_demo: wrote {out} ({os.path.getsize(out) / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
