//! The README's example outputs are what the commands print: every code
//! block that starts with `$ countshift ...` is run and its lines compared
//! with the output, in order (a line `...` in the README skips any number
//! of output lines). A change of output must come with the README's.

mod common;

use common::countshift;

/// (command line, expected lines) of every example block.
fn examples(readme: &str) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    let mut lines = readme.lines();
    while let Some(line) = lines.next() {
        if !line.trim_start().starts_with("```") {
            continue;
        }
        let block: Vec<&str> = lines.by_ref().take_while(|l| l.trim() != "```").collect();
        if let Some(command) = block.first().and_then(|l| l.strip_prefix("$ countshift")) {
            out.push((
                command.trim().to_owned(),
                block[1..].iter().map(|l| l.to_string()).collect(),
            ));
        }
    }
    out
}

/// Whether `expected` (with `...` gaps) matches `actual` line for line.
fn matches(expected: &[String], actual: &[&str]) -> Result<(), String> {
    let mut a = 0;
    let mut skipping = false;
    for e in expected {
        if e.trim() == "..." {
            skipping = true;
            continue;
        }
        loop {
            match actual.get(a) {
                None => return Err(format!("README line not printed: {e}")),
                Some(line) if line.trim_end() == e.trim_end() => {
                    a += 1;
                    skipping = false;
                    break;
                }
                Some(line) if !skipping => return Err(format!("README says\n  {e}\nthe command prints\n  {line}")),
                Some(_) => a += 1,
            }
        }
    }
    if !skipping && a < actual.len() {
        return Err(format!("the command prints more than the README shows: {}", actual[a]));
    }
    Ok(())
}

#[test]
fn the_readme_examples_print_what_the_readme_shows() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let examples = examples(&readme);
    assert!(examples.len() >= 4, "found {} examples", examples.len());
    let mut failures = Vec::new();
    for (command, expected) in &examples {
        let args: Vec<&str> = command.split_whitespace().collect();
        let run = countshift(&args);
        assert_eq!(run.code, 0, "countshift {command}: {}", run.stderr);
        let actual: Vec<&str> = run.stdout.lines().collect();
        if let Err(e) = matches(expected, &actual) {
            failures.push(format!("countshift {command}: {e}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
