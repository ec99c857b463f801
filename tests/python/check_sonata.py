#!/usr/bin/env python3
"""Check brainsim's SONATA output in OUTDIR with libsonata, against h5py.

    check_sonata.py OUTDIR

OUTDIR/spikes.h5 is opened with libsonata.SpikeReader (every population: all spikes,
the sorting attribute) and every other OUTDIR/*.h5 with libsonata.ElementReportReader
(every population: data, times, node ids). Each is compared with an h5py read of the
same datasets and with the layout brainsim writes (root magic/version, units, enum
sorting, index pointers, ...). Prints one line per file; exits 1 on any mismatch
(2 on usage errors or if no file was found).
"""

import sys
from pathlib import Path

import h5py
import libsonata
import numpy as np

SONATA_MAGIC = 0x0A7A


class Mismatch(Exception):
    pass


def expect(cond, what):
    if not cond:
        raise Mismatch(what)


def as_str(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def check_root(h5):
    expect("magic" in h5.attrs and int(h5.attrs["magic"]) == SONATA_MAGIC,
           f"root attribute magic = {h5.attrs.get('magic')!r}, expected {SONATA_MAGIC:#x}")
    expect(h5.attrs["magic"].dtype == np.uint32, "magic is not uint32")
    version = np.asarray(h5.attrs.get("version", []))
    expect(version.dtype == np.uint32 and version.tolist() == [0, 1],
           f"root attribute version = {version!r}, expected uint32 [0, 1]")


def sorting_name(group):
    """The `sorting` attribute as a member name (enum or string), or None."""
    if "sorting" not in group.attrs:
        return None
    dtype = group.attrs.get_id("sorting").dtype
    mapping = h5py.check_enum_dtype(dtype)
    value = group.attrs["sorting"]
    if mapping is None:
        return as_str(value)
    names = {v: k for k, v in mapping.items()}
    return names.get(int(value))


def common_populations(h5, top, reader):
    """Checks the root attributes and that libsonata and h5py see the same
    populations under /top; returns them sorted."""
    check_root(h5)
    h5_pops = sorted(h5[top].keys())
    lib_pops = sorted(reader.get_population_names())
    expect(lib_pops == h5_pops, f"populations: libsonata {lib_pops}, h5py {h5_pops}")
    return h5_pops


def check_spikes(path):
    reader = libsonata.SpikeReader(str(path))
    parts = []
    with h5py.File(path, "r") as h5:
        h5_pops = common_populations(h5, "spikes", reader)
        for name in h5_pops:
            group = h5["spikes"][name]
            times = group["timestamps"][...]
            ids = group["node_ids"][...]
            expect(times.dtype == np.float64, f"{name}: timestamps are {times.dtype}")
            expect(ids.dtype == np.uint64, f"{name}: node_ids are {ids.dtype}")
            expect(as_str(group["timestamps"].attrs.get("units", "")) == "ms",
                   f"{name}: timestamps units != 'ms'")
            enum = h5py.check_enum_dtype(group.attrs.get_id("sorting").dtype) \
                if "sorting" in group.attrs else None
            expect(enum == {"none": 0, "by_id": 1, "by_time": 2},
                   f"{name}: sorting is not the enum {{none, by_id, by_time}}: {enum}")

            pop = reader[name]
            h5_sorting = sorting_name(group)
            expect(pop.sorting == h5_sorting,
                   f"{name}: sorting libsonata {pop.sorting!r}, h5py {h5_sorting!r}")
            if h5_sorting == "by_time":
                expect(bool(np.all(np.diff(times) >= 0)), f"{name}: by_time but not sorted")
            if hasattr(pop, "get_dict"):
                spikes = pop.get_dict()
                lib_ids = np.asarray(spikes["node_ids"])
                lib_times = np.asarray(spikes["timestamps"])
            else:
                spikes = pop.get()
                lib_ids = np.array([s[0] for s in spikes], dtype=np.uint64)
                lib_times = np.array([s[1] for s in spikes], dtype=np.float64)
            expect(len(lib_ids) == len(ids),
                   f"{name}: libsonata {len(lib_ids)} spikes, h5py {len(ids)}")
            expect(np.array_equal(lib_ids, ids), f"{name}: node_ids differ")
            expect(np.array_equal(lib_times, times), f"{name}: timestamps differ")

            n_nodes = group.attrs.get("n_nodes")
            if n_nodes is not None:
                if len(ids):
                    expect(int(ids.max()) < int(n_nodes),
                           f"{name}: node id {ids.max()} >= n_nodes {n_nodes}")
            parts.append(f"{name}: {len(ids)} spikes, {h5_sorting}, n_nodes={n_nodes}")
        finished = h5.attrs.get("finished")
    return f"{'; '.join(parts)} (finished={finished})"


def check_report(path):
    reader = libsonata.ElementReportReader(str(path))
    parts = []
    with h5py.File(path, "r") as h5:
        h5_pops = common_populations(h5, "report", reader)
        for name in h5_pops:
            group = h5["report"][name]
            mapping = group["mapping"]
            data = group["data"]
            node_ids = mapping["node_ids"][...]
            n = len(node_ids)
            expect(data.dtype == np.float32, f"{name}: data is {data.dtype}")
            expect(data.ndim == 2 and data.shape[1] == n,
                   f"{name}: data shape {data.shape}, {n} node ids")
            pointers = mapping["index_pointers"][...]
            expect(np.array_equal(pointers, np.arange(n + 1)),
                   f"{name}: index_pointers != 0..={n}")
            expect("index_pointer" in mapping and
                   np.array_equal(mapping["index_pointer"][...], pointers),
                   f"{name}: index_pointer link missing or different")
            elements = mapping["element_ids"][...]
            expect(elements.dtype == np.uint32 and not elements.any(),
                   f"{name}: element_ids not uint32 zeros")
            start, stop, dt = (float(v) for v in mapping["time"][...])
            expect(as_str(mapping["time"].attrs.get("units", "")) == "ms",
                   f"{name}: time units != 'ms'")
            n_frames = int(round((stop - start) / dt))
            expect(data.shape[0] >= n_frames,
                   f"{name}: time says {n_frames} frames, data has {data.shape[0]}")

            pop = reader[name]
            expect(np.allclose(pop.times, (start, stop, dt), rtol=0, atol=1e-12),
                   f"{name}: times libsonata {pop.times}, h5py {(start, stop, dt)}")
            expect(list(pop.get_node_ids()) == node_ids.tolist(), f"{name}: node ids differ")
            expect(pop.data_units == as_str(data.attrs.get("units", "")),
                   f"{name}: data units differ")
            if n_frames == 0:
                parts.append(f"{name}: 0 frames x {n} nodes")
                continue
            frame = pop.get()
            lib_data = np.asarray(frame.data)
            lib_times = np.asarray(frame.times)
            lib_ids = np.asarray(frame.ids)
            expect(lib_data.shape == (n_frames, n),
                   f"{name}: libsonata data {lib_data.shape}, expected {(n_frames, n)}")
            expect(np.array_equal(lib_data, data[:n_frames]), f"{name}: data differ")
            want_times = start + dt * np.arange(n_frames)
            expect(np.allclose(lib_times, want_times, rtol=0, atol=1e-6 * max(1.0, stop)),
                   f"{name}: frame times differ")
            expect(np.array_equal(lib_ids[:, 0], node_ids) and not lib_ids[:, 1].any(),
                   f"{name}: libsonata ids differ from mapping")
            parts.append(f"{name}: {n_frames} frames x {n} nodes, t=[{start}, {stop}) dt={dt}")
        finished = h5.attrs.get("finished")
    return f"{'; '.join(parts)} (finished={finished})"


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    outdir = Path(argv[1])
    files = sorted(outdir.glob("*.h5"))
    if not files:
        print(f"{outdir}: no .h5 file", file=sys.stderr)
        return 2
    failed = 0
    for path in files:
        check = check_spikes if path.name == "spikes.h5" else check_report
        kind = "spikes" if check is check_spikes else "report"
        try:
            print(f"OK   {path.name} [{kind}] {check(path)}")
        except Mismatch as e:
            failed += 1
            print(f"FAIL {path.name} [{kind}] {e}")
        except Exception as e:  # libsonata / h5py could not read it at all
            failed += 1
            print(f"FAIL {path.name} [{kind}] unreadable: {type(e).__name__}: {e}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
