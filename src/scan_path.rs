//! Artifact paths relative to the scan root they were found under: what fingerprints,
//! baselines, SARIF locations and waivers' `path` globs see, so that `scan fleet`,
//! `cd fleet && scan .` and `scan /srv/ci/fleet` name an artifact the same way.

use std::path::Path;

/// `path` (as a report shows it) relative to the scan root it lies under: the longest of
/// `roots` (the paths scanned, as reports show them) that is a prefix of it by whole
/// components. A root that is a file gives the file's name; a path under no root is
/// returned as it is.
pub fn scan_relative(path: &str, roots: &[String]) -> String {
    let as_path = Path::new(path);
    let mut best: Option<(usize, String)> = None;
    for root in roots {
        let relative = if root == "." || root.is_empty() {
            // Paths under `.` are shown without it.
            (!as_path.is_absolute() && !path.starts_with("../")).then(|| path.to_owned())
        } else if path == root {
            Some(as_path.file_name().map_or_else(
                || path.to_owned(),
                |name| name.to_string_lossy().into_owned(),
            ))
        } else {
            as_path
                .strip_prefix(root)
                .ok()
                .map(|rest| rest.to_string_lossy().replace('\\', "/"))
        };
        if let Some(relative) = relative {
            if best.as_ref().is_none_or(|(length, _)| root.len() > *length) {
                best = Some((root.len(), relative));
            }
        }
    }
    best.map_or_else(|| path.to_owned(), |(_, relative)| relative)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roots(list: &[&str]) -> Vec<String> {
        list.iter().map(|root| (*root).to_owned()).collect()
    }

    #[test]
    fn paths_are_relative_to_the_root_they_lie_under() {
        let fleet = roots(&["fleet"]);
        assert_eq!(
            scan_relative("fleet/px4/sshd_config", &fleet),
            "px4/sshd_config"
        );
        assert_eq!(
            scan_relative("px4/sshd_config", &roots(&["."])),
            "px4/sshd_config"
        );
        assert_eq!(
            scan_relative("/srv/ci/fleet/px4/sshd_config", &roots(&["/srv/ci/fleet"])),
            "px4/sshd_config"
        );
        assert_eq!(
            scan_relative("../fleet/px4/sshd_config", &roots(&["../fleet"])),
            "px4/sshd_config"
        );
        // By whole components: `fleet-b` is not under `fleet`.
        assert_eq!(
            scan_relative("fleet-b/px4/a", &roots(&["fleet", "fleet-b"])),
            "px4/a"
        );
        assert_eq!(
            scan_relative("fleet/px4/sshd_config", &roots(&["fleet/px4/sshd_config"])),
            "sshd_config"
        );
    }
}
