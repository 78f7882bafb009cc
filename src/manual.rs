//! The command's manual outside `--help`: shell completion scripts and man pages, made from
//! the command-line definition the binary hands over (its clap `Command`).
//!
//! Two things clap's generators do not do for us are done here. clap_complete's bash script
//! breaks for a binary whose name has a hyphen (clap-rs/clap#6421): it sets `cmd` to
//! `drone__audit__subcmd__scan` but labels the case `drone__subcmd__audit__subcmd__scan`, so
//! nothing completes after a subcommand; [`completion_script`] renames the labels to match.
//! And clap_mangen renders one page at a time: [`man_pages`] renders the command's page and
//! one per subcommand (`drone-audit-scan(1)`…), each with all its options, which the main
//! page's SEE ALSO names.

use clap::Command;
use clap_complete::Shell;

/// The completion script of `command` for `shell`, with clap_complete's bash labels fixed.
pub fn completion_script(shell: Shell, command: &mut Command) -> Vec<u8> {
    let name = command.get_name().to_owned();
    let mut script = Vec::new();
    clap_complete::generate(shell, command, &name, &mut script);
    if shell != Shell::Bash || !name.contains('-') {
        return script;
    }
    // clap_complete builds `cmd` values by replacing `-` with `__` in the binary's name and
    // joining subcommands with `__subcmd__`, but its case labels first join, then replace
    // each `-`… and the `__` it just wrote is read as a separator again: `drone-audit`
    // becomes `drone__subcmd__audit` in the labels only.
    let value_prefix = name.replace('-', "__");
    let label_prefix = name.replace('-', "__subcmd__");
    String::from_utf8_lossy(&script)
        .replace(
            &format!("{label_prefix}__subcmd__"),
            &format!("{value_prefix}__subcmd__"),
        )
        .into_bytes()
}

/// A man page: its file name (`drone-audit-scan.1`) and its roff text.
pub struct ManPage {
    pub file_name: String,
    pub roff: Vec<u8>,
}

/// The man page of `command` and one per subcommand, at every depth (`help` left out),
/// the command's own first.
pub fn man_pages(command: Command) -> std::io::Result<Vec<ManPage>> {
    let mut command = command.disable_help_subcommand(true);
    command.build();
    let mut pages = Vec::new();
    collect_pages(command, &mut pages)?;
    Ok(pages)
}

fn collect_pages(command: Command, pages: &mut Vec<ManPage>) -> std::io::Result<()> {
    let subcommands: Vec<Command> = command
        .get_subcommands()
        .filter(|subcommand| !subcommand.is_hide_set())
        .cloned()
        .collect();
    let man = clap_mangen::Man::new(command);
    let mut roff = Vec::new();
    man.render(&mut roff)?;
    pages.push(ManPage {
        file_name: man.get_filename(),
        roff,
    });
    for subcommand in subcommands {
        collect_pages(subcommand, pages)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{Arg, ArgAction};

    fn command() -> Command {
        Command::new("drone-audit")
            .subcommand(
                Command::new("scan")
                    .about("Scan")
                    .arg(Arg::new("format").long("format").action(ArgAction::Set)),
            )
            .subcommand(Command::new("rules").subcommand(Command::new("explain")))
    }

    #[test]
    fn bash_case_labels_match_the_values_of_cmd() {
        let script =
            String::from_utf8(completion_script(Shell::Bash, &mut command())).expect("UTF-8");
        assert!(script.contains("cmd=\"drone__audit__subcmd__scan\""));
        assert!(script.contains("        drone__audit__subcmd__scan)"));
        assert!(!script.contains("drone__subcmd__audit"), "{script}");
    }

    #[test]
    fn every_subcommand_has_a_page_with_its_options() {
        let pages = man_pages(command()).expect("renders");
        let names: Vec<&str> = pages.iter().map(|page| page.file_name.as_str()).collect();
        assert_eq!(
            names,
            [
                "drone-audit.1",
                "drone-audit-scan.1",
                "drone-audit-rules.1",
                "drone-audit-rules-explain.1"
            ]
        );
        let scan = String::from_utf8_lossy(&pages[1].roff);
        assert!(scan.contains("\\-\\-format"), "{scan}");
    }
}
