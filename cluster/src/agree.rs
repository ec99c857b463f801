//! How ranks agree on bad input, so that a rank that found it never exits
//! alone while the others wait for it in their next collective.
//!
//! Every rank checks the input itself (the config, the arguments, the memory
//! estimate); one all-min then tells every rank the lowest rank that found
//! bad input. That rank reports its one-line message, a barrier lets the
//! message out before any rank exits (mpirun may stop the others at the first
//! exit), and every rank returns `Refused` (exit code 2).

use brainsim_sim::comm::{Comm, Reduce};

/// Bad input was found on some rank; the run must end with exit code 2.
#[derive(Debug, PartialEq, Eq)]
pub struct Refused {
    /// The rank whose message was reported.
    pub reported_by: usize,
}

/// Collective. `outcome` is this rank's verdict on the input (`Err`: the
/// one-line message). `say` is called with the message on the lowest rank
/// that found bad input, and on no other.
pub fn agree<T>(
    comm: &dyn Comm,
    outcome: Result<T, String>,
    say: &mut dyn FnMut(&str),
) -> Result<T, Refused> {
    let me = comm.rank() as u64;
    let mine = if outcome.is_err() { me } else { u64::MAX };
    let first = comm.all_reduce(mine, Reduce::Min);
    match outcome {
        Ok(v) if first == u64::MAX => Ok(v),
        outcome => {
            if let Err(message) = &outcome {
                if first == me {
                    say(message);
                }
            }
            comm.barrier();
            Err(Refused {
                reported_by: first as usize,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use brainsim_sim::comm::local::run_ranks;

    /// Runs `agree` on `p` in-process ranks where the ranks in `bad` fail;
    /// returns each rank's result and what it said.
    fn trial(p: usize, bad: &[usize]) -> Vec<(Result<usize, Refused>, Vec<String>)> {
        run_ranks(p, |comm| {
            let r = comm.rank();
            let outcome = if bad.contains(&r) {
                Err(format!("bad on rank {r}"))
            } else {
                Ok(r)
            };
            let mut said = Vec::new();
            let got = agree(comm, outcome, &mut |m| said.push(m.to_string()));
            (got, said)
        })
    }

    #[test]
    fn good_input_everywhere_goes_on() {
        for p in 1..=4 {
            for (r, (got, said)) in trial(p, &[]).into_iter().enumerate() {
                assert_eq!(got, Ok(r));
                assert!(said.is_empty());
            }
        }
    }

    #[test]
    fn bad_input_anywhere_stops_every_rank_and_is_said_once() {
        for p in 1..=4usize {
            for bad in [vec![p - 1], vec![0], (1..p).collect::<Vec<_>>()] {
                if bad.is_empty() {
                    continue;
                }
                let first = *bad.iter().min().unwrap();
                let results = trial(p, &bad);
                for (r, (got, said)) in results.iter().enumerate() {
                    assert_eq!(
                        got,
                        &Err(Refused { reported_by: first }),
                        "p {p} bad {bad:?}"
                    );
                    let want = if r == first {
                        vec![format!("bad on rank {r}")]
                    } else {
                        vec![]
                    };
                    assert_eq!(said, &want, "p {p} rank {r}");
                }
            }
        }
    }
}
