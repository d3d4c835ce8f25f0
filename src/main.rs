//! The `countshift` command: parse arguments, call the library, render, and
//! map the outcome to an exit code (0 ok, 2 bad input or usage, 1 internal).

mod cli;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use clap::error::ErrorKind;

fn main() -> ExitCode {
    let args = match cli::Cli::try_parse() {
        Ok(args) => args,
        Err(e) => {
            // A value out of its range is one line, naming the option and the
            // range (clap adds a pointer to --help on further lines).
            if matches!(e.kind(), ErrorKind::ValueValidation | ErrorKind::InvalidValue) {
                let rendered = e.render().to_string();
                let _ = writeln!(std::io::stderr(), "{}", rendered.lines().next().unwrap_or_default());
            } else {
                let _ = e.print();
            }
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    match cli::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            // Every error of the library and the CLI says everything in its own
            // message; printing the chain would repeat the OS error.
            let _ = writeln!(
                std::io::stderr(),
                "error: {}",
                cli::terminal_safe(&e.to_string(), false)
            );
            let bad_input = e
                .downcast_ref::<countshift::Error>()
                .is_some_and(countshift::Error::is_bad_input)
                || e.downcast_ref::<cli::UsageError>().is_some();
            ExitCode::from(if bad_input { 2 } else { 1 })
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain()
        .filter_map(|c| c.downcast_ref::<std::io::Error>())
        .any(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
}
