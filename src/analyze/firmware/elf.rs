//! ELF hardening, with the meaning checksec and Debian's hardening-check give each check:
//! NX (a `PT_GNU_STACK` without execute permission), PIE (`ET_DYN` with `DF_1_PIE`, or with
//! an interpreter; an `ET_DYN` with neither is a shared library), RELRO (`PT_GNU_RELRO`:
//! partial; with immediate binding — `DT_BIND_NOW`, `DF_BIND_NOW` or `DF_1_NOW` — full), stack
//! canary (`__stack_chk_fail`), FORTIFY (`__*_chk` functions), RPATH/RUNPATH, and imports of
//! functions that cannot be used safely (gets, strcpy, sprintf…).

use super::{Chain, Placed, Walk};
use goblin::elf::dynamic::{DF_1_NOW, DF_1_PIE, DF_BIND_NOW, DT_BIND_NOW};
use goblin::elf::header::{ET_DYN, ET_EXEC};
use goblin::elf::program_header::{PF_X, PT_GNU_RELRO, PT_GNU_STACK};
use goblin::elf::Elf;
use schemars::JsonSchema;
use serde::Serialize;
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
            let node = Unparsed {
                parsed: false,
                error: error.to_string(),
                offset: 0,
            };
            walk.sections
                .elf
                .push(ElfNode::Unparsed(Placed::new(chain, node)));
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
        (false, _) => Relro::None,
        (true, false) => Relro::Partial,
        (true, true) => Relro::Full,
    };
    let kind = if e_type == ET_EXEC {
        ElfType::Executable
    } else if flags_1 & DF_1_PIE != 0 || elf.interpreter.is_some() {
        ElfType::PieExecutable
    } else {
        ElfType::SharedLibrary
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
        (false, _) => Fortify::Yes,
        (true, false) => Fortify::No,
        (true, true) => Fortify::Unknown,
    };
    let banned: Vec<&str> = BANNED
        .into_iter()
        .filter(|name| imports.contains(name))
        .collect();
    // Hardening is a property of programs an operating system loads: a bare-metal image (no
    // interpreter, no dynamic section, no GNU stack header, like an autopilot's) has none of
    // these mechanisms; a static Linux program (BusyBox) has the stack header.
    let userland = elf.interpreter.is_some() || elf.dynamic.is_some() || stack.is_some();
    let node = Hardening {
        parsed: true,
        kind,
        machine: goblin::elf::header::machine_to_str(elf.header.e_machine),
        bits: if elf.is_64 { 64 } else { 32 },
        userland,
        nx,
        pie: kind == ElfType::PieExecutable,
        relro,
        bind_now,
        canary,
        fortify,
        fortified: fortified.into_iter().map(str::to_owned).collect(),
        unfortified,
        rpath: elf.rpaths.iter().map(|path| (*path).to_owned()).collect(),
        runpath: elf.runpaths.iter().map(|path| (*path).to_owned()).collect(),
        banned_imports: banned,
        // Only dynamically linked programs have one: rules test its presence.
        interpreter: elf.interpreter.map(str::to_owned),
        offset: 0,
    };
    walk.sections
        .elf
        .push(ElfNode::Parsed(Box::new(Placed::new(chain, node))));
}

/// An ELF program or library inside the image, with the member it is.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum ElfNode {
    /// One that was parsed, with its hardening.
    Parsed(Box<Placed<Hardening>>),
    /// One that could not be parsed (still scanned as bytes).
    Unparsed(Placed<Unparsed>),
}

/// What an ELF file is, as checksec tells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ElfType {
    /// `ET_EXEC`: a program loaded at a fixed address.
    Executable,
    /// `ET_DYN` with `DF_1_PIE` or an interpreter: a position-independent program.
    PieExecutable,
    /// Any other `ET_DYN`: a shared library.
    SharedLibrary,
}

/// Read-only relocations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Relro {
    /// No `PT_GNU_RELRO`.
    None,
    /// `PT_GNU_RELRO`, symbols bound lazily: the GOT stays writable.
    Partial,
    /// `PT_GNU_RELRO` with immediate binding (`BIND_NOW`).
    Full,
}

/// `_FORTIFY_SOURCE`, as hardening-check judges it from the imports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Fortify {
    /// It imports fortified (`__*_chk`) functions.
    Yes,
    /// It imports functions that have a fortified version, and none of those.
    No,
    /// It imports none of either: nothing tells.
    Unknown,
}

/// An ELF that could not be parsed.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Unparsed {
    /// The file was parsed as ELF, with the hardening fields; false when it could not be,
    /// with only `error`.
    parsed: bool,
    /// Why it could not be parsed.
    error: String,
    /// Always 0: the node is about the whole file.
    offset: usize,
}

/// An ELF program's or library's hardening, as checksec and hardening-check judge it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Hardening {
    /// The file was parsed as ELF, with the hardening fields; false when it could not be,
    /// with only `error`.
    parsed: bool,
    /// What the file is.
    #[serde(rename = "type")]
    kind: ElfType,
    /// The CPU it is for (`ARM`, `AARCH64`, `X86_64`…).
    machine: &'static str,
    /// 32 or 64.
    bits: u8,
    /// A program an operating system loads (an interpreter, a dynamic section or a
    /// `PT_GNU_STACK`); false for bare-metal images, to which the rest does not apply.
    userland: bool,
    /// Its stack is not executable (`PT_GNU_STACK` without execute permission).
    nx: bool,
    /// A position-independent executable.
    pie: bool,
    /// Which relocations are made read-only after loading.
    relro: Relro,
    /// Symbols are bound at load time (`BIND_NOW`).
    bind_now: bool,
    /// It uses stack canaries (`__stack_chk_fail` or `__stack_chk_guard`).
    canary: bool,
    /// Whether it was built with `_FORTIFY_SOURCE`, as its imports show.
    fortify: Fortify,
    /// The fortified (`__*_chk`) functions it imports.
    fortified: Vec<String>,
    /// The functions it imports that have a fortified version.
    unfortified: Vec<&'static str>,
    /// Its `DT_RPATH` entries.
    rpath: Vec<String>,
    /// Its `DT_RUNPATH` entries.
    runpath: Vec<String>,
    /// The banned functions it imports (gets, strcpy, strcat, sprintf…).
    banned_imports: Vec<&'static str>,
    /// Its program interpreter (`/lib/ld-linux-armhf.so.3`), only for dynamically linked
    /// programs.
    #[serde(skip_serializing_if = "Option::is_none")]
    interpreter: Option<String>,
    /// Always 0: the node is about the whole file.
    offset: usize,
}
