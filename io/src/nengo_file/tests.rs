//! Small files written here, one class of fault each.

use super::*;
use brainsim_sim::nef::{Post, Pre, ProbeOf};
use hdf5::File;
use std::collections::BTreeMap;

mod passthrough;

/// One entry of a test file: `path@attr` for attributes, else a dataset.
#[derive(Clone)]
enum Item {
    Str(&'static str),
    F(f64),
    I(i64),
    Floats(Vec<usize>, Vec<f64>),
    Ints(Vec<i64>),
}

type Entries = BTreeMap<String, Item>;

/// A valid file: node (2-D, 3 steps) -> ensemble "A" (3 neurons, 2-D),
/// only the node's value 1 into A's dimension 0; A decoded -> probe 0;
/// probe 1 of A's spikes.
fn valid() -> Entries {
    use Item::*;
    let mut e = Entries::new();
    let mut put = |k: &str, v: Item| {
        e.insert(k.to_string(), v);
    };
    put("@format", Str("brainsim-nengo"));
    put("@version", I(1));
    put("@dt", F(0.001));
    put("@t_stop", F(0.003));
    put("@n_steps", I(3));
    put("@nengo_version", Str("4.1.0"));
    let a = "ensembles/0";
    put(&format!("{a}@name"), Str("A"));
    for (k, v) in [("tau_rc", 0.02), ("tau_ref", 0.002), ("amplitude", 1.0)] {
        put(&format!("{a}@{k}"), F(v));
    }
    put(&format!("{a}@min_voltage"), F(0.0));
    put(&format!("{a}@radius"), F(2.0));
    let enc = vec![1.0, 0.0, 0.0, 1.0, 0.6, 0.8];
    put(&format!("{a}/encoders"), Floats(vec![3, 2], enc.clone()));
    put(&format!("{a}/scaled_encoders"), Floats(vec![3, 2], enc));
    for (k, v) in [
        ("gain", [2.0, 3.0, 4.0]),
        ("bias", [0.5, 1.5, -1.0]),
        ("max_rates", [200.0, 300.0, 250.0]),
        ("intercepts", [0.1, -0.2, 0.3]),
        ("voltage", [0.1, 0.2, 0.3]),
        ("refractory_time", [0.0; 3]),
    ] {
        put(&format!("{a}/{k}"), Floats(vec![3], v.to_vec()));
    }
    put("nodes/0@name", Str("in"));
    put(
        "nodes/0/output",
        Floats(vec![3, 2], vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]),
    );
    let c = "connections/0";
    for (k, v) in [
        ("pre_kind", "node"),
        ("post_kind", "ensemble"),
        ("synapse", "lowpass"),
    ] {
        put(&format!("{c}@{k}"), Str(v));
    }
    put(&format!("{c}@pre"), I(0));
    put(&format!("{c}@post"), I(0));
    put(&format!("{c}@tau"), F(0.005));
    put(&format!("{c}@a"), F(0.75));
    put(&format!("{c}@b"), F(0.25));
    put(&format!("{c}/weights"), Floats(vec![1, 1], vec![0.5]));
    put(&format!("{c}/pre_slice"), Ints(vec![1]));
    put(&format!("{c}/post_slice"), Ints(vec![0]));
    let c = "connections/1";
    for (k, v) in [
        ("pre_kind", "ensemble"),
        ("post_kind", "probe"),
        ("synapse", "none"),
    ] {
        put(&format!("{c}@{k}"), Str(v));
    }
    put(&format!("{c}@pre"), I(0));
    put(&format!("{c}@post"), I(0));
    put(&format!("{c}/weights"), Floats(vec![2, 3], vec![0.1; 6]));
    put(&format!("{c}/pre_slice"), Ints(vec![0, 1]));
    put(&format!("{c}/post_slice"), Ints(vec![0, 1]));
    for (k, name, kind, attr) in [
        (0, "A", "ensemble", "decoded_output"),
        (1, "A spikes", "neurons", "spikes"),
    ] {
        let p = format!("probes/{k}");
        put(&format!("{p}@name"), Str(name));
        put(&format!("{p}@target_kind"), Str(kind));
        put(&format!("{p}@attribute"), Str(attr));
        put(&format!("{p}@target"), I(0));
        put(&format!("{p}@synapse"), Str("none"));
    }
    e
}

/// Writes `entries` to a new file in the temp dir named after `tag`.
fn write(entries: &Entries, tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("brainsim-nengo-file-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{tag}.h5"));
    let f = File::create(&path).unwrap();
    let group = |p: &str| -> Group {
        let mut g: Group = f.group("/").unwrap();
        for part in p.split('/').filter(|s| !s.is_empty()) {
            g = g.group(part).or_else(|_| g.create_group(part)).unwrap();
        }
        g
    };
    for (key, item) in entries {
        let (loc, name, attr) = match key.split_once('@') {
            Some((loc, name)) => (loc, name, true),
            None => {
                let (loc, name) = key.rsplit_once('/').unwrap();
                (loc, name, false)
            }
        };
        let g = group(loc);
        match (item, attr) {
            (Item::Str(s), _) => {
                let v: VarLenUnicode = s.parse().unwrap();
                let a = g
                    .new_attr::<VarLenUnicode>()
                    .shape(())
                    .create(name)
                    .unwrap();
                a.write_scalar(&v).unwrap();
            }
            (Item::F(x), _) => g
                .new_attr::<f64>()
                .shape(())
                .create(name)
                .unwrap()
                .write_scalar(x)
                .unwrap(),
            (Item::I(x), _) => g
                .new_attr::<i64>()
                .shape(())
                .create(name)
                .unwrap()
                .write_scalar(x)
                .unwrap(),
            (Item::Floats(shape, v), _) => {
                let a = ndarray::ArrayD::from_shape_vec(shape.clone(), v.clone()).unwrap();
                g.new_dataset_builder().with_data(&a).create(name).unwrap();
            }
            (Item::Ints(v), _) => {
                g.new_dataset_builder().with_data(v).create(name).unwrap();
            }
        }
    }
    path
}

/// The error of reading `valid()` changed by `spoil`.
fn error_after(tag: &str, spoil: impl FnOnce(&mut Entries)) -> String {
    error_of(valid(), tag, spoil)
}

/// The error of reading the file of `e` changed by `spoil`: one line that
/// starts with the file's path.
fn error_of(mut e: Entries, tag: &str, spoil: impl FnOnce(&mut Entries)) -> String {
    spoil(&mut e);
    let path = write(&e, tag);
    let err = read(&path).map(|_| ()).unwrap_err();
    let line = err.to_string();
    assert!(line.starts_with(&path.display().to_string()), "{line}");
    assert!(!line.contains('\n'), "one line: {line}");
    std::fs::remove_file(&path).unwrap();
    line
}

#[test]
fn a_valid_file_becomes_the_network_it_describes() {
    let path = write(&valid(), "valid");
    let (b, t_stop) = read(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(t_stop, 0.003);
    assert_eq!(b.ensembles[0].encoders[(2, 1)], 0.8);
    assert_eq!(b.ensembles[0].bias, vec![0.5, 1.5, -1.0]);
    assert_eq!(b.spec.ensembles[0].1.radius, 2.0);
    // The node's value 1 into A's dimension 0: widened with zeros.
    let c = &b.connections[0];
    assert_eq!((c.pre, c.post), (Pre::Node(0), Post::Ensemble(0)));
    assert_eq!(c.weights.shape(), (2, 2));
    assert_eq!(c.weights.as_slice(), &[0.0, 0.0, 0.5, 0.0], "column-major");
    assert_eq!(c.pre_slice, 0..2);
    let f = c.filter.unwrap();
    assert_eq!((f.a, f.b), (0.75, 0.25), "Nengo's coefficients, as written");
    assert_eq!(b.connections[1].post, Post::Probe(0));
    assert!(b.connections[1].filter.is_none());
    assert_eq!(b.spec.probes[1].of, ProbeOf::Spikes(0));
    // The table: step n (t = n dt) reads row n - 1; after it the last holds.
    let mut out = [0.0; 2];
    for (n, want) in [
        (1, [1.0, 2.0]),
        (2, [3.0, 4.0]),
        (3, [5.0, 6.0]),
        (9, [5.0, 6.0]),
    ] {
        b.spec.nodes[0].1.eval(n, 0.001, 0, 0, &mut out);
        assert_eq!(out, want, "step {n}");
    }
}

#[test]
fn a_wrong_format_or_version_is_refused() {
    let e = error_after("format", |e| {
        e.insert("@format".into(), Item::Str("sonata"));
    });
    assert!(
        e.ends_with(": /format: is `sonata`, expected `brainsim-nengo`"),
        "{e}"
    );
    let e = error_after("version", |e| {
        e.insert("@version".into(), Item::I(3));
    });
    assert!(
        e.ends_with(": /version: is 3, this reader reads versions 1 to 2"),
        "{e}"
    );
    let e = error_after("version_type", |e| {
        e.insert("@version".into(), Item::F(1.0));
    });
    assert!(e.ends_with(": /version: must be a scalar int64"), "{e}");
}

#[test]
fn a_missing_group_dataset_or_attribute_is_named() {
    let e = error_after("no_gain", |e| {
        e.remove("ensembles/0/gain");
    });
    assert!(e.ends_with(": /ensembles/0/gain: missing dataset"), "{e}");
    let e = error_after("no_dt", |e| {
        e.remove("@dt");
    });
    assert!(e.ends_with(": /dt: missing attribute"), "{e}");
    let e = error_after("no_nodes", |e| {
        e.retain(|k, _| !k.starts_with("nodes/"));
        e.retain(|k, _| !k.starts_with("connections/0"));
        e.insert("connections/0@x".into(), Item::I(0));
    });
    assert!(e.ends_with(": /nodes: missing group"), "{e}");
    let e = error_after("no_tau", |e| {
        e.remove("connections/0@tau");
    });
    assert!(
        e.ends_with(": /connections/0/tau: missing attribute"),
        "{e}"
    );
}

#[test]
fn wrong_shapes_are_refused() {
    let e = error_after("bias_len", |e| {
        e.insert(
            "ensembles/0/bias".into(),
            Item::Floats(vec![2], vec![0.0; 2]),
        );
    });
    assert!(
        e.ends_with(": /ensembles/0/bias: has 2 values, expected 3"),
        "{e}"
    );
    let e = error_after("weights_shape", |e| {
        e.insert(
            "connections/1/weights".into(),
            Item::Floats(vec![2, 4], vec![0.0; 8]),
        );
    });
    assert!(
        e.ends_with(
            ": /connections/1/weights: has shape [2, 4], expected [2, 3] (post_slice, source)"
        ),
        "{e}"
    );
    let e = error_after("enc_rank", |e| {
        e.insert(
            "ensembles/0/encoders".into(),
            Item::Floats(vec![6], vec![0.0; 6]),
        );
    });
    assert!(
        e.ends_with(": /ensembles/0/encoders: has shape [6], expected 2 dimensions"),
        "{e}"
    );
}

#[test]
fn bad_values_and_indices_are_refused() {
    let e = error_after("slice", |e| {
        e.insert("connections/0/post_slice".into(), Item::Ints(vec![2]));
    });
    assert!(
        e.ends_with(": /connections/0/post_slice: index 2 out of 0..2"),
        "{e}"
    );
    let e = error_after("pre", |e| {
        e.insert("connections/1@pre".into(), Item::I(4));
    });
    assert!(
        e.ends_with(": /connections/1/pre: no ensemble 4 (1 in the file)"),
        "{e}"
    );
    let e = error_after("synapse", |e| {
        e.insert("connections/0@synapse".into(), Item::Str("alpha"));
    });
    assert!(
        e.ends_with(": /connections/0/synapse: is `alpha`, expected `none` or `lowpass`"),
        "{e}"
    );
    let e = error_after("nan", |e| {
        e.insert(
            "ensembles/0/gain".into(),
            Item::Floats(vec![3], vec![1.0, f64::NAN, 1.0]),
        );
    });
    assert!(
        e.ends_with(": /ensembles/0/gain: holds NaN: values must be finite"),
        "{e}"
    );
    let e = error_after("refractory", |e| {
        e.insert(
            "ensembles/0/refractory_time".into(),
            Item::Floats(vec![3], vec![0.0, 0.001, 0.0]),
        );
    });
    assert!(
        e.contains(": /ensembles/0/refractory_time: must be 0"),
        "{e}"
    );
    let e = error_after("attribute", |e| {
        e.insert("probes/1@attribute".into(), Item::Str("input"));
    });
    assert!(
        e.ends_with(": /probes/1/attribute: cannot probe `input` of a `neurons`"),
        "{e}"
    );
}

#[test]
fn parts_that_do_not_fit_are_refused_at_the_root() {
    // A filtered connection into a probe whose own record is unfiltered.
    let e = error_after("fit", |e| {
        e.insert("probes/0@synapse".into(), Item::Str("lowpass"));
        e.insert("probes/0@tau".into(), Item::F(0.01));
        e.insert("probes/0@a".into(), Item::F(0.9));
        e.insert("probes/0@b".into(), Item::F(0.1));
    });
    assert!(e.contains(": /: probe `A`: "), "{e}");
}

#[test]
fn a_file_that_is_not_hdf5_is_refused() {
    let path = std::env::temp_dir().join(format!("brainsim-nengo-text-{}.h5", std::process::id()));
    std::fs::write(&path, "not hdf5").unwrap();
    let e = read(&path).map(|_| ()).unwrap_err();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(e.at, "/");
    assert!(e.what.starts_with("cannot open as HDF5"), "{e}");
}
