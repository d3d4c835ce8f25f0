//! Golden outputs: every command, as table and JSON, on both embedded
//! datasets and on two real series; the exit code, stdout and stderr are
//! compared byte for byte with `tests/golden/`. It pins behaviour before the architecture refactor
//! (issue 18): a refactor keeps these files; a change of output is its own
//! commit, which re-blesses them with
//! `COUNTSHIFT_BLESS=1 cargo test --release --test golden`.

mod common;
use common::countshift;

/// (name, data arguments, known date for `test`).
const INPUTS: &[(&str, &[&str], &str)] = &[
    ("reported", &["--dataset", "kn23_2024_reported"], "2024-07"),
    ("monthly", &["--dataset", "kn23_monthly"], "2024-07"),
    ("shahed", &["--data", "tests/reference/data/real/shahed.csv"], "2024-09"),
    (
        "x101_share",
        &["--data", "tests/reference/data/real/x101_share.csv"],
        "2024-09",
    ),
];

/// (file label, command, extra arguments); `test` gets `--at` the input's
/// known date.
const COMMANDS: &[(&str, &str, &[&str])] = &[
    ("inspect", "inspect", &[]),
    ("fit", "fit", &["--terms", "trend"]),
    ("test", "test", &[]),
    ("detect", "detect", &[]),
    ("detect_breaks", "detect", &["--max-breaks", "3"]),
    ("detect_pelt", "detect", &["--method", "pelt"]),
    ("forecast", "forecast", &[]),
    ("backtest", "backtest", &[]),
    ("report", "report", &[]),
];

#[test]
fn every_command_prints_what_it_printed_before() {
    let bless = std::env::var_os("COUNTSHIFT_BLESS").is_some();
    let dir = std::path::Path::new("tests/golden");
    let mut stale = Vec::new();
    for (name, data, at) in INPUTS {
        for (label, command, extra) in COMMANDS {
            for format in ["table", "json"] {
                let mut args: Vec<&str> = vec![command];
                args.extend_from_slice(data);
                args.extend_from_slice(extra);
                if *command == "test" {
                    args.extend(["--at", at]);
                }
                if format == "json" {
                    args.extend(["--format", "json"]);
                }
                let run = countshift(&args);
                let printed = format!(
                    "exit {}\n--- stdout\n{}--- stderr\n{}",
                    run.code, run.stdout, run.stderr
                );
                let file = dir.join(format!("{name}.{label}.{format}.txt"));
                if bless {
                    std::fs::create_dir_all(dir).unwrap();
                    std::fs::write(&file, &printed).unwrap();
                } else {
                    let expected = std::fs::read_to_string(&file)
                        .unwrap_or_else(|e| panic!("{}: {e}; bless with COUNTSHIFT_BLESS=1", file.display()));
                    if expected != printed {
                        stale.push(format!("{} ({})", file.display(), args.join(" ")));
                    }
                }
            }
        }
    }
    assert!(
        stale.is_empty(),
        "outputs changed:\n{}\nif the change is meant, re-bless with COUNTSHIFT_BLESS=1 cargo test --release --test golden",
        stale.join("\n")
    );
}
