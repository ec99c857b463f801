//! The devices of rate and temporal coding: a config using each becomes
//! the expected spec (times rounded to the grid as NEST does, the spike
//! file's trains per node), and each class of bad input is refused at its
//! line and field with its wording.

use super::{rejects, BASE};
use crate::config::{parse, parse_without_spike_files};
use crate::sonata_spikes::test_util::{no_spawn, test_dir};
use crate::sonata_spikes::SpikeWriter;
use brainsim_sim::spec::{InputTable, NetworkSpec, Receptor, StimulusKind};
use std::path::{Path, PathBuf};

fn ok(text: &str) -> NetworkSpec {
    match parse(Path::new("net.toml"), text) {
        Ok(loaded) => loaded.spec,
        Err(e) => panic!("config should be accepted, got: {e}"),
    }
}

/// BASE with one `[[stimulus]]` of `body` (its lines, without the header).
fn with_stimulus(body: &str) -> String {
    format!("{BASE}\n[[stimulus]]\n{body}")
}

/// A spikes file with population "src" (8 nodes): node 1 at 0.5 and 0.2
/// ms, node 6 at 1.0 ms and at 0.37 ms (off the 0.1 ms grid).
fn spikes_file(name: &str) -> PathBuf {
    let path = test_dir(name).join("in.h5");
    let mut w = SpikeWriter::create(&path, &[("src".to_string(), 100, 8)]).unwrap();
    w.append(&[(0.2, 101), (0.37, 106), (0.5, 101), (1.0, 106)])
        .unwrap();
    w.finish().unwrap();
    path
}

#[test]
fn coding_devices_become_the_expected_spec() {
    let file = spikes_file("coding-good");
    let text = format!(
        "{BASE}
[[stimulus]]
type = \"inhomogeneous_poisson_generator\"
target = \"E\"
rate_times = [0.0, 10.0, 20.05]
rate_values = [5.0, 0.0, 40.0]
weight = 10.0

[[stimulus]]
type = \"step_current_generator\"
target = \"I\"
amplitude_times = [1.0, 2.5]
amplitude_values = [100.0, -20]
delay = 0.5

[[stimulus]]
type = \"rate_encoder\"
target = \"E\"
node_ids = [1, 2, 3]
times = [0.0, 50.0]
values = [[0.5, 1.0], [2.0, -1.0]]
dimension = [1, 0, 1]
gain = 20.0
offset = 1.0
weight = 5.0
delay = 2.0

[[stimulus]]
type = \"latency_encoder\"
target = \"I\"
times = [0.0]
values = [[1.5, 3.0]]
tau = 10.0
threshold = 1.0
weight = 50.0
receptor = \"ex\"

[[stimulus]]
type = \"spike_generator\"
target = \"E\"
spikes_file = {file:?}
weight = 7.0
"
    );
    let spec = ok(&text);
    let kinds: Vec<&StimulusKind> = spec.stimuli.iter().map(|s| &s.kind).collect();
    assert_eq!(
        kinds[0],
        &StimulusKind::InhomogeneousPoissonGenerator {
            rate_times: vec![0.0, 10.0, 20.1],
            rate_values: vec![5.0, 0.0, 40.0],
            weight: 10.0,
            delay: 1.0,
        },
        "20.05 is rounded up to the end of its step; default delay 1 ms"
    );
    assert_eq!(
        kinds[1],
        &StimulusKind::StepCurrentGenerator {
            amplitude_times: vec![1.0, 2.5],
            amplitude_values: vec![100.0, -20.0],
            delay: 0.5,
        }
    );
    assert_eq!(spec.stimuli[1].receptor, Receptor::BySign, "a current");
    let table = InputTable {
        times: vec![0.0, 50.0],
        values: vec![vec![0.5, 1.0], vec![2.0, -1.0]],
        components: Some(vec![1, 0, 1]),
    };
    assert_eq!(
        kinds[2],
        &StimulusKind::RateEncoder {
            table,
            gain: 20.0,
            offset: 1.0,
            weight: 5.0,
            delay: 2.0,
        }
    );
    assert_eq!(spec.stimuli[2].node_ids, Some(vec![1, 2, 3]));
    assert!(matches!(
        kinds[3],
        StimulusKind::LatencyEncoder { tau, threshold, .. } if *tau == 10.0 && *threshold == 1.0
    ));
    assert_eq!(spec.stimuli[3].receptor, Receptor::Index(0));
    let StimulusKind::SpikeTrains {
        file: read,
        population,
        trains,
        weight,
        delay,
    } = kinds[4]
    else {
        panic!("{:?}", kinds[4]);
    };
    assert_eq!(
        (read.as_str(), population.as_str()),
        (file.to_str().unwrap(), "src")
    );
    assert_eq!((*weight, *delay), (7.0, 1.0));
    // 0.37 ms is rounded up to the end of its step, 0.4 ms; trains sorted.
    let want = vec![(1, vec![0.2, 0.5]), (6, vec![0.4, 1.0])];
    assert_eq!(trains.len(), 2);
    for ((n, t), (wn, wt)) in trains.iter().zip(&want) {
        assert_eq!(n, wn);
        assert!(
            t.iter().zip(wt).all(|(a, b)| (a - b).abs() < 1e-12),
            "{t:?}"
        );
    }
    assert_eq!(spec.stimuli[4].node_ids, Some(vec![1, 6]));
    // Without reading spike files: the same spec but empty trains.
    let bare = parse_without_spike_files(Path::new("net.toml"), &text).unwrap();
    assert!(matches!(
        &bare.spec.stimuli[4].kind,
        StimulusKind::SpikeTrains { trains, .. } if trains.is_empty()
    ));
    let _ = std::fs::remove_dir_all(file.parent().unwrap());
}

#[test]
fn relative_spike_files_are_read_from_the_config_directory() {
    let file = spikes_file("coding-relative");
    let dir = file.parent().unwrap();
    let text = with_stimulus(
        "type = \"spike_generator\"\ntarget = \"E\"\nspikes_file = \"in.h5\"\nweight = 1.0\n",
    );
    let spec = parse(&dir.join("net.toml"), &text).unwrap().spec;
    assert!(matches!(
        &spec.stimuli[0].kind,
        StimulusKind::SpikeTrains { file: f, .. } if Path::new(f) == file
    ));
    let _ = std::fs::remove_dir_all(dir);
}

/// `config.effective.toml` names the file by its absolute path, so the
/// copy in a run's directory reads the same trains.
#[test]
fn the_effective_config_names_the_spike_file_absolutely() {
    let file = spikes_file("coding-effective");
    let dir = file.parent().unwrap();
    let text = with_stimulus(
        "type = \"spike_generator\"\ntarget = \"E\"\nspikes_file = \"in.h5\"\nweight = 1.0\n",
    );
    let given = parse(&dir.join("net.toml"), &text).unwrap();
    let effective =
        crate::config::effective::effective_text(&given, &given.spec.simulation, None).unwrap();
    assert!(effective.contains(&format!("spikes_file = {:?}", file.display().to_string())));
    let elsewhere = dir.join("out");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let again = parse(&elsewhere.join("config.effective.toml"), &effective).unwrap();
    assert_eq!(again.spec, given.spec);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn bad_change_times_and_values() {
    let ipg = "type = \"inhomogeneous_poisson_generator\"\ntarget = \"E\"\nweight = 1.0\n";
    let text = with_stimulus(&format!(
        "{ipg}rate_times = [1.0, 1.0]\nrate_values = [1.0, 2.0]\n"
    ));
    rejects(
        &text,
        "rate_times",
        "stimulus[0].rate_times[1]",
        &["strictly increasing"],
    );
    let text = with_stimulus(&format!(
        "{ipg}rate_times = [1.01, 1.05]\nrate_values = [1.0, 2.0]\n"
    ));
    rejects(
        &text,
        "rate_times",
        "stimulus[0].rate_times[1]",
        &["rounded up"],
    );
    let text = with_stimulus(&format!("{ipg}rate_times = [-1.0]\nrate_values = [1.0]\n"));
    rejects(
        &text,
        "rate_times",
        "stimulus[0].rate_times[0]",
        &["must be >= 0"],
    );
    let text = with_stimulus(&format!(
        "{ipg}rate_times = [1.0, 2.0]\nrate_values = [1.0]\n"
    ));
    rejects(
        &text,
        "rate_values",
        "stimulus[0].rate_values",
        &["1 entries", "2 times"],
    );
    let text = with_stimulus(&format!("{ipg}rate_times = [1.0]\nrate_values = [-3.0]\n"));
    rejects(
        &text,
        "rate_values",
        "stimulus[0].rate_values[0]",
        &["must be >= 0"],
    );
    let text = with_stimulus(&format!("{ipg}rate_times = []\nrate_values = []\n"));
    rejects(
        &text,
        "rate_times",
        "stimulus[0].rate_times",
        &["must not be empty"],
    );
    let text = with_stimulus(&format!("{ipg}rate_values = [1.0]\n"));
    rejects(
        &text,
        "[[stimulus]]",
        "stimulus[0].rate_times",
        &["requires `rate_times`"],
    );
    let scg = "type = \"step_current_generator\"\ntarget = \"E\"\n";
    let text = with_stimulus(&format!(
        "{scg}amplitude_times = [2.0, 1.0]\namplitude_values = [1.0, 2.0]\n"
    ));
    rejects(
        &text,
        "amplitude_times",
        "stimulus[0].amplitude_times[1]",
        &["1 ms is not after the previous time (2)"],
    );
    let text = with_stimulus(&format!(
        "{scg}amplitude_times = [1.0]\namplitude_values = [1.0]\nweight = 2.0\n"
    ));
    rejects(
        &text,
        "weight",
        "stimulus[0].weight",
        &["does not apply to a step_current_generator"],
    );
}

#[test]
fn bad_encoder_tables_and_parameters() {
    let enc = "type = \"rate_encoder\"\ntarget = \"E\"\nweight = 1.0\ngain = 10.0\n";
    let text = with_stimulus(&format!("{enc}times = [0.0, 5.0]\nvalues = [[1.0, 2.0]]\n"));
    rejects(
        &text,
        "values",
        "stimulus[0].values",
        &["1 entries", "2 times"],
    );
    let text = with_stimulus(&format!(
        "{enc}times = [0.0, 5.0]\nvalues = [[1.0, 2.0], [3.0]]\n"
    ));
    rejects(
        &text,
        "values",
        "stimulus[0].values[1]",
        &["1 components", "has 2"],
    );
    let text = with_stimulus(&format!(
        "{enc}times = [0.0]\nvalues = [[1.0, 2.0]]\ndimension = [0, 2]\n"
    ));
    rejects(
        &text,
        "dimension",
        "stimulus[0].dimension[1]",
        &["component 2 is out of range", "2 components"],
    );
    let text = with_stimulus(&format!(
        "{enc}node_ids = [0, 1, 2]\ntimes = [0.0]\nvalues = [[1.0, 2.0]]\ndimension = [0, 1]\n"
    ));
    rejects(
        &text,
        "dimension",
        "stimulus[0].dimension",
        &["2 entries", "3 targets"],
    );
    let text = with_stimulus(&format!("{enc}times = [0.0]\nvalues = [[1e9]]\n"));
    rejects(
        &text,
        "values",
        "stimulus[0].values[0][0]",
        &["gain * x + offset", "events per target and step"],
    );
    let text = with_stimulus(
        "type = \"rate_encoder\"\ntarget = \"E\"\nweight = 1.0\ntimes = [0.0]\nvalues = [[1.0]]\n",
    );
    rejects(
        &text,
        "[[stimulus]]",
        "stimulus[0].gain",
        &["a rate_encoder requires `gain`"],
    );
    let lat = "type = \"latency_encoder\"\ntarget = \"E\"\nweight = 1.0\ntimes = [0.0]\nvalues = [[1.0]]\n";
    let text = with_stimulus(&format!("{lat}tau = 0.0\nthreshold = 0.5\n"));
    rejects(&text, "tau", "stimulus[0].tau", &["must be > 0"]);
    let text = with_stimulus(&format!("{lat}tau = 5.0\nthreshold = -0.5\n"));
    rejects(
        &text,
        "threshold",
        "stimulus[0].threshold",
        &["must be >= 0"],
    );
    let text = with_stimulus(&format!("{lat}tau = 5.0\nthreshold = 0.5\ngain = 1.0\n"));
    rejects(
        &text,
        "gain",
        "stimulus[0].gain",
        &["does not apply to a latency_encoder"],
    );
}

/// An HDF5 file with /spikes/src/timestamps but no node_ids.
fn file_without_node_ids(path: &Path) {
    let _guard = no_spawn();
    let f = hdf5::File::create(path).unwrap();
    let g = f
        .create_group("spikes")
        .unwrap()
        .create_group("src")
        .unwrap();
    g.new_dataset_builder()
        .with_data(&[0.1f64, 0.2])
        .create("timestamps")
        .unwrap();
}

#[test]
fn bad_spike_files() {
    let file = spikes_file("coding-bad");
    let dir = file.parent().unwrap().to_path_buf();
    let sg = |extra: &str| {
        with_stimulus(&format!(
            "type = \"spike_generator\"\ntarget = \"I\"\nweight = 1.0\n{extra}"
        ))
    };
    let missing = dir.join("nope.h5");
    let text = sg(&format!("spikes_file = {missing:?}\n"));
    let e = rejects(
        &text,
        "spikes_file",
        "stimulus[0].spikes_file",
        &["nope.h5: no such file"],
    );
    assert!(!e.message.contains('\n'));
    let junk = dir.join("junk.h5");
    std::fs::write(&junk, "not HDF5").unwrap();
    let text = sg(&format!("spikes_file = {junk:?}\n"));
    let e = rejects(
        &text,
        "spikes_file",
        "stimulus[0].spikes_file",
        &["junk.h5"],
    );
    assert!(!e.message.contains('\n'), "{}", e.message);
    // Node 6 of the file is outside I (5 neurons).
    let text = sg(&format!("spikes_file = {file:?}\n"));
    rejects(
        &text,
        "spikes_file",
        "stimulus[0].spikes_file",
        &[
            "node id 6 is outside the target population \"I\"",
            "5 neurons",
        ],
    );
    let text = sg(&format!("spikes_file = {file:?}\npopulation = \"dst\"\n"));
    rejects(
        &text,
        "population = ",
        "stimulus[0].population",
        &["no population \"dst\"", "src"],
    );
    let broken = dir.join("broken.h5");
    file_without_node_ids(&broken);
    let text = sg(&format!("spikes_file = {broken:?}\n"));
    rejects(
        &text,
        "spikes_file",
        "stimulus[0].spikes_file",
        &["node_ids"],
    );
    let text = sg(&format!("spikes_file = {file:?}\nnode_ids = [1]\n"));
    rejects(
        &text,
        "node_ids",
        "stimulus[0].node_ids",
        &["does not apply"],
    );
    let text = sg(&format!("spikes_file = {file:?}\nspike_times = [1.0]\n"));
    rejects(
        &text,
        "spike_times",
        "stimulus[0].spike_times",
        &["does not apply to a spike_generator with spikes_file"],
    );
    let text = sg("");
    rejects(
        &text,
        "[[stimulus]]",
        "stimulus[0].spike_times",
        &["requires `spike_times`"],
    );
    let _ = std::fs::remove_dir_all(&dir);
}
