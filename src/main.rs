//! The `volscope` binary: parses the command line, then runs a headless command or opens the desktop app.

use clap::Parser;
use volscope::cli::{self, Cli};

fn main() -> std::process::ExitCode {
    let args = Cli::parse();
    match &args.command {
        Some(command) => match cli::run(command) {
            Ok(report) => {
                eprintln!("{report}");
                std::process::ExitCode::SUCCESS
            }
            Err(err) => {
                eprintln!("error: {err:#}");
                std::process::ExitCode::FAILURE
            }
        },
        None => open_app(args.file.as_deref()),
    }
}

#[cfg(feature = "gui")]
fn open_app(file: Option<&std::path::Path>) -> std::process::ExitCode {
    match volscope::gui::run(file) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: cannot open the window: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(not(feature = "gui"))]
fn open_app(_file: Option<&std::path::Path>) -> std::process::ExitCode {
    eprintln!("this volscope was built without the `gui` feature; run `volscope --help` for the headless commands");
    std::process::ExitCode::FAILURE
}
