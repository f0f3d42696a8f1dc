//! `harness completions <shell>`: the shell completion script, generated from the clap types.

use std::io::Write;

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use super::{Cli, ExitStatus, Failure};

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to write completions for
    #[arg(value_enum)]
    pub shell: Shell,
}

pub(super) fn execute(args: CompletionsArgs) -> Result<ExitStatus, Failure> {
    let mut command = Cli::command();
    let mut script: Vec<u8> = Vec::new();
    clap_complete::generate(args.shell, &mut command, "harness", &mut script);
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(&script).and_then(|()| stdout.flush()) {
        Ok(()) => Ok(ExitStatus::Success),
        // A reader that stops early (`| head`) is not a failure of the command.
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => Ok(ExitStatus::Success),
        Err(err) => Err(Failure::Environment(format!(
            "cannot write the completion script: {err}"
        ))),
    }
}
