//! ELF hardening, with the meaning checksec and Debian's hardening-check give each check:
//! NX (a `PT_GNU_STACK` without execute permission), PIE (`ET_DYN` with `DF_1_PIE`, or with
//! an interpreter; an `ET_DYN` with neither is a shared library), RELRO (`PT_GNU_RELRO`:
//! partial; with immediate binding — `DT_BIND_NOW`, `DF_BIND_NOW` or `DF_1_NOW` — full), stack
//! canary (`__stack_chk_fail`), FORTIFY (`__*_chk` functions), RPATH/RUNPATH, and imports of
//! functions that cannot be used safely (gets, strcpy, sprintf…).

use super::{Chain, Walk};
use goblin::elf::dynamic::{DF_1_NOW, DF_1_PIE, DF_BIND_NOW, DT_BIND_NOW};
use goblin::elf::header::{ET_DYN, ET_EXEC};
use goblin::elf::program_header::{PF_X, PT_GNU_RELRO, PT_GNU_STACK};
use goblin::elf::Elf;
use serde_json::json;
use std::collections::BTreeSet;

/// Functions with no safe use (unbounded copies and formats, predictable temporary names).
const BANNED: [&str; 9] = [
    "gets", "strcpy", "strcat", "sprintf", "vsprintf", "stpcpy", "mktemp", "tmpnam", "tempnam",
];

/// libc functions that `_FORTIFY_SOURCE` replaces with a checked `__NAME_chk` variant.
const FORTIFIABLE: [&str; 20] = [
    "memcpy",
    "memmove",
    "memset",
    "strcpy",
    "stpcpy",
    "strncpy",
    "strcat",
    "strncat",
    "sprintf",
    "snprintf",
    "vsprintf",
    "vsnprintf",
    "printf",
    "fprintf",
    "vprintf",
    "vfprintf",
    "read",
    "fgets",
    "realpath",
    "gets",
];

pub fn check(walk: &mut Walk, chain: &Chain, bytes: &[u8]) {
    let elf = match Elf::parse(bytes) {
        Ok(elf) => elf,
        Err(error) if chain.depth() == 0 => {
            return walk.damaged(chain, super::Format::Elf, error);
        }
        Err(error) => {
            // A damaged or unusual program inside an image is still scanned as bytes.
            walk.record(
                "elf",
                chain,
                json!({"parsed": false, "error": error.to_string(), "offset": 0}),
            );
            return;
        }
    };
    let e_type = elf.header.e_type;
    if e_type != ET_EXEC && e_type != ET_DYN {
        return;
    }
    let (flags, flags_1) = elf
        .dynamic
        .as_ref()
        .map(|dynamic| (dynamic.info.flags, dynamic.info.flags_1))
        .unwrap_or_default();
    let bind_now = flags & DF_BIND_NOW != 0
        || flags_1 & DF_1_NOW != 0
        || elf
            .dynamic
            .as_ref()
            .is_some_and(|dynamic| dynamic.dyns.iter().any(|entry| entry.d_tag == DT_BIND_NOW));
    let stack = elf
        .program_headers
        .iter()
        .find(|header| header.p_type == PT_GNU_STACK);
    let nx = stack.is_some_and(|header| header.p_flags & PF_X == 0);
    let relro = match (
        elf.program_headers
            .iter()
            .any(|header| header.p_type == PT_GNU_RELRO),
        bind_now,
    ) {
        (false, _) => "none",
        (true, false) => "partial",
        (true, true) => "full",
    };
    let kind = if e_type == ET_EXEC {
        "executable"
    } else if flags_1 & DF_1_PIE != 0 || elf.interpreter.is_some() {
        "pie-executable"
    } else {
        "shared-library"
    };
    let dynamic_names: BTreeSet<&str> = elf
        .dynsyms
        .iter()
        .filter_map(|symbol| elf.dynstrtab.get_at(symbol.st_name))
        .collect();
    let imports: BTreeSet<&str> = elf
        .dynsyms
        .iter()
        .filter(|symbol| symbol.is_import())
        .filter_map(|symbol| elf.dynstrtab.get_at(symbol.st_name))
        .map(|name| name.split('@').next().unwrap_or(name))
        .collect();
    let static_names: BTreeSet<&str> = elf
        .syms
        .iter()
        .filter_map(|symbol| elf.strtab.get_at(symbol.st_name))
        .collect();
    let any_symbol = |name: &str| dynamic_names.contains(name) || static_names.contains(name);
    let canary = any_symbol("__stack_chk_fail") || any_symbol("__stack_chk_guard");
    let fortified: Vec<&str> = imports
        .iter()
        .copied()
        .filter(|name| {
            name.starts_with("__") && name.ends_with("_chk") && *name != "__stack_chk_fail"
        })
        .collect();
    let unfortified: Vec<&str> = FORTIFIABLE
        .into_iter()
        .filter(|name| imports.contains(name))
        .collect();
    let fortify = match (fortified.is_empty(), unfortified.is_empty()) {
        (false, _) => "yes",
        (true, false) => "no",
        (true, true) => "unknown",
    };
    let banned: Vec<&str> = BANNED
        .into_iter()
        .filter(|name| imports.contains(name))
        .collect();
    // Hardening is a property of programs an operating system loads: a bare-metal image (no
    // interpreter, no dynamic section, no GNU stack header, like an autopilot's) has none of
    // these mechanisms; a static Linux program (BusyBox) has the stack header.
    let userland = elf.interpreter.is_some() || elf.dynamic.is_some() || stack.is_some();
    let mut node = json!({
            "parsed": true,
            "type": kind,
            "machine": goblin::elf::header::machine_to_str(elf.header.e_machine),
            "bits": if elf.is_64 { 64 } else { 32 },
            "userland": userland,
            "nx": nx,
            "pie": kind == "pie-executable",
            "relro": relro,
            "bind_now": bind_now,
            "canary": canary,
            "fortify": fortify,
            "fortified": fortified,
            "unfortified": unfortified,
            "rpath": elf.rpaths,
            "runpath": elf.runpaths,
            "banned_imports": banned,
            "offset": 0,
    });
    // Only dynamically linked programs have one: rules test its presence.
    if let Some(interpreter) = elf.interpreter {
        node["interpreter"] = json!(interpreter);
    }
    walk.record("elf", chain, node);
}
