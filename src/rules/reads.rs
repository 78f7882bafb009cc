//! Which parameters the rules in force can read ([`parameter_scope`]): a scan makes the JSON
//! nodes of those and no others (`analyze::parameters::scope`), the only part of a parameter
//! document that is cut.
//!
//! Each query of a rule of a kind that holds parameters is read with a small parser of RFC 9535
//! and followed through an abstract document of three kinds of node: the root, its
//! `parameters` map, and any other node (no other node holds the map, nor can reach it but by
//! `$`). Following a query records the parameter names it selects by name
//! (`$.parameters.SYSID_ENFORCE`, `$[?@.MAV_SIGN_CFG].MAV_SIGN_CFG`), and the families or names
//! a filter over the whole map requires of every node it keeps
//! (`$.parameters[?@.family == 'SERIALn_PROTOCOL' && @.value == 1]`). Anything that would see
//! a parameter not so named gives [`ParameterScope::All`]: a wildcard or an unguarded filter
//! over the map, a descendant segment from the root or the map, the map or the root compared,
//! passed to a function or selected (its fields would be a finding's message), and a query this
//! parser does not read. A rule of the user's own is then slower, never wrong.

use crate::analyze::parameters::{scope, ParameterScope};
use crate::rules::template::Template;
use crate::rules::Rule;
use std::collections::BTreeSet;

/// The parameters that the queries of `rules` can read, in evidence of any kind.
pub fn parameter_scope(rules: &[Rule]) -> ParameterScope {
    let mut reads = Reads::default();
    let parameter_rules = rules
        .iter()
        .filter(|rule| rule.kinds.iter().any(|kind| scope::KINDS.contains(kind)));
    for rule in parameter_rules {
        if let Some(requires) = &rule.requires {
            reads.query_text(&requires.text, Use::Exists);
        }
        reads.selected(&rule.select.text, &rule.message);
    }
    reads.into_scope()
}

/// What a query's result is used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Use {
    /// Whether it selects anything (`requires`, an existence test in a filter).
    Exists,
    /// Its nodes' values (a comparison, a function's argument).
    Values,
}

/// The kinds of node a query can be at: a set of the three.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Nodes {
    root: bool,
    /// The root's `parameters` map.
    parameters: bool,
    /// Any other node: a parameter, an endpoint, a count…
    other: bool,
}

const ROOT: Nodes = Nodes {
    root: true,
    parameters: false,
    other: false,
};
const OTHER: Nodes = Nodes {
    root: false,
    parameters: false,
    other: true,
};

impl Nodes {
    fn union(self, more: Nodes) -> Nodes {
        Nodes {
            root: self.root || more.root,
            parameters: self.parameters || more.parameters,
            other: self.other || more.other,
        }
    }

    /// Whether the root or the map is among them: a node whose content depends on the scope.
    fn holds_the_map(self) -> bool {
        self.root || self.parameters
    }
}

/// What the queries read so far.
#[derive(Debug, Default)]
struct Reads {
    names: BTreeSet<String>,
    families: BTreeSet<String>,
    /// A query can read parameters it does not name.
    all: bool,
}

impl Reads {
    fn into_scope(self) -> ParameterScope {
        if self.all {
            ParameterScope::All
        } else {
            ParameterScope::Only {
                names: self.names,
                families: self.families,
            }
        }
    }

    /// Follows a query written in a rule; None (and all parameters read) when it is not read.
    fn query_text(&mut self, text: &str, used: Use) -> Option<Nodes> {
        let Some(query) = Parser::new(text).whole_query() else {
            self.all = true;
            return None;
        };
        let result = self.query(&query, ROOT);
        if used == Use::Values && result.holds_the_map() {
            self.all = true;
        }
        Some(result)
    }

    /// Follows a rule's `select`, whose nodes' fields its `message` quotes: of the map, the
    /// parameters it names; of the root, those under `parameters.` (the whole map when it
    /// quotes `parameters` itself).
    fn selected(&mut self, text: &str, message: &Template) {
        let Some(result) = self.query_text(text, Use::Exists) else {
            return;
        };
        for field in message.fields() {
            match field {
                [name, ..] if result.parameters => {
                    self.names.insert(name.clone());
                }
                _ => {}
            }
            match field {
                [map] if result.root && map == "parameters" => self.all = true,
                [map, name, ..] if result.root && map == "parameters" => {
                    self.names.insert(name.clone());
                }
                _ => {}
            }
        }
    }

    /// The nodes `query` can select, from `current` for a relative query.
    fn query(&mut self, query: &Query, current: Nodes) -> Nodes {
        let mut nodes = if query.absolute { ROOT } else { current };
        for segment in &query.segments {
            nodes = self.segment(segment, nodes);
        }
        nodes
    }

    fn segment(&mut self, segment: &Segment, input: Nodes) -> Nodes {
        if segment.descendant {
            if input.holds_the_map() {
                // It visits every parameter.
                self.all = true;
            }
            for selector in &segment.selectors {
                if let Selector::Filter(filter) = selector {
                    self.expression(filter, OTHER);
                }
            }
            return input.union(OTHER);
        }
        let mut output = Nodes::default();
        for selector in &segment.selectors {
            output = output.union(self.selector(selector, input));
        }
        output
    }

    fn selector(&mut self, selector: &Selector, input: Nodes) -> Nodes {
        let mut output = Nodes::default();
        match selector {
            Selector::Name(name) => {
                if input.root {
                    if name == "parameters" {
                        output.parameters = true;
                    } else {
                        output.other = true;
                    }
                }
                if input.parameters {
                    self.names.insert(name.clone());
                    output.other = true;
                }
                output.other |= input.other;
            }
            Selector::Wildcard => {
                if input.root {
                    output.parameters = true;
                    output.other = true;
                }
                if input.parameters {
                    self.all = true;
                    output.other = true;
                }
                output.other |= input.other;
            }
            // The root and the map are objects: an index selects nothing of them.
            Selector::Index => output.other = input.other,
            Selector::Filter(filter) => {
                if input.root {
                    // The root's members: the map and other nodes.
                    let members = Nodes {
                        root: false,
                        parameters: true,
                        other: true,
                    };
                    self.expression(filter, members);
                    output = output.union(members);
                }
                if input.parameters {
                    match guard(filter) {
                        Some(Guard { names, families }) => {
                            self.names.extend(names);
                            self.families.extend(families);
                        }
                        None => self.all = true,
                    }
                    self.expression(filter, OTHER);
                    output.other = true;
                }
                if input.other {
                    self.expression(filter, OTHER);
                    output.other = true;
                }
            }
        }
        output
    }

    /// Follows the queries of a filter expression evaluated at `current`.
    fn expression(&mut self, expression: &Expression, current: Nodes) {
        match expression {
            Expression::Or(terms) | Expression::And(terms) => {
                for term in terms {
                    self.expression(term, current);
                }
            }
            Expression::Not(inner) => self.expression(inner, current),
            Expression::Test(operand) => self.operand(operand, current, Use::Exists),
            Expression::Compare { left, right, .. } => {
                self.operand(left, current, Use::Values);
                self.operand(right, current, Use::Values);
            }
        }
    }

    fn operand(&mut self, operand: &Operand, current: Nodes, used: Use) {
        match operand {
            Operand::Literal(_) => {}
            Operand::Query(query) => {
                let result = self.query(query, current);
                if used == Use::Values && result.holds_the_map() {
                    self.all = true;
                }
            }
            Operand::Function(arguments) => {
                for argument in arguments {
                    match argument {
                        // A query given to a function is read for its values or its count.
                        Expression::Test(operand) => self.operand(operand, current, Use::Values),
                        other => self.expression(other, current),
                    }
                }
            }
        }
    }
}

/// What a filter over the map requires of every parameter it keeps.
#[derive(Debug, Default)]
struct Guard {
    names: BTreeSet<String>,
    families: BTreeSet<String>,
}

/// The names or families a parameter must have to pass `filter`: `@.family == 'F'` or
/// `@.name == 'N'` as a term of its top `&&`, in every branch of an `||`. None when some
/// parameter of any name could pass.
fn guard(filter: &Expression) -> Option<Guard> {
    match filter {
        Expression::Or(branches) => {
            let mut union = Guard::default();
            for branch in branches {
                let guard = guard(branch)?;
                union.names.extend(guard.names);
                union.families.extend(guard.families);
            }
            Some(union)
        }
        Expression::And(terms) => terms.iter().find_map(guard),
        Expression::Compare {
            left,
            equal: true,
            right,
        } => {
            let (field, value) = match (left.as_ref(), right.as_ref()) {
                (Operand::Query(query), Operand::Literal(Literal::String(value)))
                | (Operand::Literal(Literal::String(value)), Operand::Query(query)) => {
                    (query.own_field()?, value)
                }
                _ => return None,
            };
            let mut guard = Guard::default();
            match field {
                "family" => guard.families.insert(value.clone()),
                "name" => guard.names.insert(value.clone()),
                _ => return None,
            };
            Some(guard)
        }
        Expression::Compare { equal: false, .. } | Expression::Not(_) | Expression::Test(_) => None,
    }
}

/// A JSONPath query (RFC 9535 §2.1): `$` or `@`, then segments.
#[derive(Debug, Clone, PartialEq)]
struct Query {
    /// `$` (the root) rather than `@` (the current node).
    absolute: bool,
    segments: Vec<Segment>,
}

impl Query {
    /// The field a query `@.field` names of the current node.
    fn own_field(&self) -> Option<&str> {
        match self.segments.as_slice() {
            [Segment {
                descendant: false,
                selectors,
            }] if !self.absolute => match selectors.as_slice() {
                [Selector::Name(name)] => Some(name),
                _ => None,
            },
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
struct Segment {
    /// `..` rather than `.` or `[…]`.
    descendant: bool,
    selectors: Vec<Selector>,
}

#[derive(Debug, Clone, PartialEq)]
enum Selector {
    Name(String),
    Wildcard,
    /// An index or a slice.
    Index,
    Filter(Expression),
}

#[derive(Debug, Clone, PartialEq)]
enum Expression {
    Or(Vec<Expression>),
    And(Vec<Expression>),
    Not(Box<Expression>),
    /// An existence test of a query, or a function's result.
    Test(Operand),
    /// A comparison: `==` (`equal`) or another operator.
    Compare {
        left: Box<Operand>,
        equal: bool,
        right: Box<Operand>,
    },
}

#[derive(Debug, Clone, PartialEq)]
enum Operand {
    Literal(Literal),
    Query(Query),
    /// A function's arguments (its name does not change what it can read).
    Function(Vec<Expression>),
}

#[derive(Debug, Clone, PartialEq)]
enum Literal {
    String(String),
    /// A number, `true`, `false` or `null`.
    Other,
}

/// A recursive-descent reader of RFC 9535 queries. The queries were already accepted by
/// serde_json_path, so it only has to read valid ones right: anything it does not read is None,
/// and the rule's reads are then unbounded.
struct Parser<'a> {
    text: &'a str,
    at: usize,
    /// Nesting of filters and parentheses, bounded like the stack it uses.
    depth: usize,
}

/// Filters and parentheses nested deeper than this are not read (the scope is then all).
const MAX_DEPTH: usize = 64;

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Self {
        Parser {
            text,
            at: 0,
            depth: 0,
        }
    }

    fn whole_query(&mut self) -> Option<Query> {
        self.blank();
        let query = self.query()?;
        self.blank();
        (query.absolute && self.at == self.text.len()).then_some(query)
    }

    fn rest(&self) -> &'a str {
        &self.text[self.at..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn eat(&mut self, token: &str) -> bool {
        if self.rest().starts_with(token) {
            self.at += token.len();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, token: &str) -> Option<()> {
        self.eat(token).then_some(())
    }

    /// RFC 9535's `S`: spaces, tabs, line feeds and carriage returns.
    fn blank(&mut self) {
        let skipped = self
            .rest()
            .bytes()
            .take_while(|byte| matches!(byte, b' ' | b'\t' | b'\n' | b'\r'))
            .count();
        self.at += skipped;
    }

    fn query(&mut self) -> Option<Query> {
        let absolute = if self.eat("$") {
            true
        } else if self.eat("@") {
            false
        } else {
            return None;
        };
        let mut segments = Vec::new();
        loop {
            let before = self.at;
            self.blank();
            if self.eat("..") {
                let selectors = if self.eat("*") {
                    vec![Selector::Wildcard]
                } else if self.peek() == Some('[') {
                    self.bracketed()?
                } else {
                    vec![Selector::Name(self.member_name()?)]
                };
                segments.push(Segment {
                    descendant: true,
                    selectors,
                });
            } else if self.eat(".") {
                let selector = if self.eat("*") {
                    Selector::Wildcard
                } else {
                    Selector::Name(self.member_name()?)
                };
                segments.push(Segment {
                    descendant: false,
                    selectors: vec![selector],
                });
            } else if self.peek() == Some('[') {
                segments.push(Segment {
                    descendant: false,
                    selectors: self.bracketed()?,
                });
            } else {
                self.at = before;
                break;
            }
        }
        Some(Query { absolute, segments })
    }

    /// `member-name-shorthand`: a letter, `_` or non-ASCII character, then those or digits.
    fn member_name(&mut self) -> Option<String> {
        let first = |character: char| {
            character.is_ascii_alphabetic() || character == '_' || !character.is_ascii()
        };
        let mut characters = self.rest().char_indices();
        match characters.next() {
            Some((_, character)) if first(character) => {}
            _ => return None,
        }
        let end = characters
            .find(|(_, character)| !(first(*character) || character.is_ascii_digit()))
            .map_or(self.rest().len(), |(index, _)| index);
        let name = self.rest()[..end].to_owned();
        self.at += end;
        Some(name)
    }

    /// `[` selector, … `]`.
    fn bracketed(&mut self) -> Option<Vec<Selector>> {
        self.expect("[")?;
        let mut selectors = Vec::new();
        loop {
            self.blank();
            selectors.push(self.selector()?);
            self.blank();
            if self.eat("]") {
                return Some(selectors);
            }
            self.expect(",")?;
        }
    }

    fn selector(&mut self) -> Option<Selector> {
        match self.peek()? {
            '\'' | '"' => Some(Selector::Name(self.string()?)),
            '*' => {
                self.at += 1;
                Some(Selector::Wildcard)
            }
            '?' => {
                self.at += 1;
                self.blank();
                Some(Selector::Filter(self.nested(Self::or)?))
            }
            _ => {
                // An index (`-1`) or a slice (`1:`, `::2`, `:-1:1`).
                let integer = self.integer();
                self.blank();
                if !self.eat(":") {
                    return integer.map(|()| Selector::Index);
                }
                self.blank();
                let _ = self.integer();
                self.blank();
                if self.eat(":") {
                    self.blank();
                    let _ = self.integer();
                }
                Some(Selector::Index)
            }
        }
    }

    fn integer(&mut self) -> Option<()> {
        let start = self.at;
        self.eat("-");
        let digits = self.rest().bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            self.at = start;
            return None;
        }
        self.at += digits;
        Some(())
    }

    /// Runs `read` one level deeper, refusing past [`MAX_DEPTH`].
    fn nested<T>(&mut self, read: impl FnOnce(&mut Self) -> Option<T>) -> Option<T> {
        if self.depth >= MAX_DEPTH {
            return None;
        }
        self.depth += 1;
        let result = read(self);
        self.depth -= 1;
        result
    }

    /// `logical-or-expr`.
    fn or(&mut self) -> Option<Expression> {
        self.joined("||", Self::and, Expression::Or)
    }

    /// `logical-and-expr`.
    fn and(&mut self) -> Option<Expression> {
        self.joined("&&", Self::basic, Expression::And)
    }

    /// Terms read by `term` and separated by `operator`: the one term, or them `join`ed.
    fn joined(
        &mut self,
        operator: &str,
        term: fn(&mut Self) -> Option<Expression>,
        join: fn(Vec<Expression>) -> Expression,
    ) -> Option<Expression> {
        let mut terms = vec![term(self)?];
        loop {
            let before = self.at;
            self.blank();
            if self.eat(operator) {
                self.blank();
                terms.push(term(self)?);
            } else {
                self.at = before;
                break;
            }
        }
        Some(if terms.len() == 1 {
            terms.remove(0)
        } else {
            join(terms)
        })
    }

    /// `basic-expr`: a parenthesised expression, a comparison or a test, maybe negated.
    fn basic(&mut self) -> Option<Expression> {
        if self.eat("!") {
            self.blank();
            let inner = self.nested(Self::basic)?;
            return Some(Expression::Not(Box::new(inner)));
        }
        if self.eat("(") {
            self.blank();
            let inner = self.nested(Self::or)?;
            self.blank();
            self.expect(")")?;
            return Some(inner);
        }
        let left = self.operand()?;
        let before = self.at;
        self.blank();
        let operator = ["==", "!=", "<=", ">=", "<", ">"]
            .into_iter()
            .find(|operator| self.eat(operator));
        let Some(operator) = operator else {
            self.at = before;
            return Some(Expression::Test(left));
        };
        self.blank();
        let right = self.operand()?;
        Some(Expression::Compare {
            left: Box::new(left),
            equal: operator == "==",
            right: Box::new(right),
        })
    }

    /// A literal, a query or a function call.
    fn operand(&mut self) -> Option<Operand> {
        match self.peek()? {
            '$' | '@' => Some(Operand::Query(self.query()?)),
            '\'' | '"' => Some(Operand::Literal(Literal::String(self.string()?))),
            '-' | '0'..='9' => {
                let length = self
                    .rest()
                    .bytes()
                    .take_while(|byte| byte.is_ascii_digit() || b"-+.eE".contains(byte))
                    .count();
                self.at += length;
                Some(Operand::Literal(Literal::Other))
            }
            'a'..='z' => {
                let length = self
                    .rest()
                    .bytes()
                    .take_while(|byte| {
                        byte.is_ascii_lowercase() || byte.is_ascii_digit() || *byte == b'_'
                    })
                    .count();
                let word = &self.rest()[..length];
                self.at += length;
                if self.eat("(") {
                    return self.nested(Self::arguments).map(Operand::Function);
                }
                matches!(word, "true" | "false" | "null")
                    .then_some(Operand::Literal(Literal::Other))
            }
            _ => None,
        }
    }

    /// A function's arguments, after its `(`.
    fn arguments(&mut self) -> Option<Vec<Expression>> {
        let mut arguments = Vec::new();
        self.blank();
        if self.eat(")") {
            return Some(arguments);
        }
        loop {
            self.blank();
            arguments.push(self.or()?);
            self.blank();
            if self.eat(")") {
                return Some(arguments);
            }
            self.expect(",")?;
        }
    }

    /// A string literal in single or double quotes, with its escapes (RFC 9535 §2.3.1.1).
    fn string(&mut self) -> Option<String> {
        let quote = self.peek()?;
        self.at += 1;
        let mut text = String::new();
        let mut characters = self.rest().char_indices();
        while let Some((index, character)) = characters.next() {
            match character {
                _ if character == quote => {
                    self.at += index + 1;
                    return Some(text);
                }
                '\\' => {
                    let (_, escaped) = characters.next()?;
                    let decoded = match escaped {
                        'b' => '\u{8}',
                        'f' => '\u{c}',
                        'n' => '\n',
                        'r' => '\r',
                        't' => '\t',
                        '/' | '\\' | '\'' | '"' => escaped,
                        'u' => {
                            let unit = hex4(&mut characters)?;
                            if (0xd800..0xdc00).contains(&unit) {
                                if characters.next()?.1 != '\\' || characters.next()?.1 != 'u' {
                                    return None;
                                }
                                let low = hex4(&mut characters)?;
                                if !(0xdc00..0xe000).contains(&low) {
                                    return None;
                                }
                                char::from_u32(0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00))?
                            } else {
                                char::from_u32(unit)?
                            }
                        }
                        _ => return None,
                    };
                    text.push(decoded);
                }
                _ => text.push(character),
            }
        }
        None
    }
}

/// Four hex digits of a `\u` escape.
fn hex4(characters: &mut std::str::CharIndices<'_>) -> Option<u32> {
    let mut unit = 0;
    for _ in 0..4 {
        unit = unit * 16 + characters.next()?.1.to_digit(16)?;
    }
    Some(unit)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The scope of rules selecting `queries` with a message that quotes no field.
    fn scope_of(queries: &[&str]) -> ParameterScope {
        let message = Template::parse("found").expect("a template");
        let mut reads = Reads::default();
        for query in queries {
            reads.selected(query, &message);
        }
        reads.into_scope()
    }

    fn only(names: &[&str], families: &[&str]) -> ParameterScope {
        ParameterScope::Only {
            names: names.iter().map(|name| (*name).to_owned()).collect(),
            families: families.iter().map(|name| (*name).to_owned()).collect(),
        }
    }

    #[test]
    fn named_parameters_are_read_by_name() {
        assert_eq!(
            scope_of(&[
                "$[?@.MAV_SIGN_CFG && @.MAV_SIGN_CFG.value == 0 && !@.MAV_SIGN_CFG.superseded_by].MAV_SIGN_CFG",
                "$.mavlink_instances[?@.network == true && $.parameters.SCR_LD_CHECKSUM.value == 0]",
                "$['parameters'][\"LOG_DISARMED\", 'BRD_\\u004fPTIONS']",
            ]),
            only(
                &["BRD_OPTIONS", "LOG_DISARMED", "MAV_SIGN_CFG", "SCR_LD_CHECKSUM"],
                &[]
            )
        );
    }

    #[test]
    fn a_filter_over_the_map_reads_the_families_or_names_it_requires() {
        assert_eq!(
            scope_of(&[
                "$.parameters[?@.value == 1 && @.family == 'SERIALn_PROTOCOL' && !@.superseded_by]",
                "$.parameters[?(@.name == 'A' && @.value > 2) || 'MAVn_OPTIONS' == @.family]",
                "$.endpoints[?match(@.name, 'NET_P[0-9]')]",
            ]),
            only(&["A"], &["MAVn_OPTIONS", "SERIALn_PROTOCOL"])
        );
    }

    #[test]
    fn whatever_could_see_an_unnamed_parameter_reads_them_all() {
        for query in [
            "$.parameters.*",
            "$.parameters[*]",
            "$['parameters'][*].value",
            "$..value",
            "$..['SYSID_ENFORCE']",
            "$[*][*]",
            "$[?@.X][?@.value == 1]",
            "$.parameters[?@.value == 1]",
            "$.parameters[?@.family != 'SERIALn_PROTOCOL']",
            "$.parameters[?!(@.family == 'SERIALn_PROTOCOL')]",
            "$.parameters[?@.family == 'A' || @.value == 1]",
            "$.parameters[?@.family == $.x]",
            "$.parameters[?@.kind == 'A']",
            "$[?length(@) > 5]",
            "$[?count(@.*) > 1].x",
            "$.endpoints[?@ == $.parameters]",
            "$.endpoints[?length($) == 3]",
            "$.parameters[?@.family == 'A'] junk",
            "$.parameters[0:2, *]",
            "@.parameters.A",
        ] {
            assert_eq!(scope_of(&[query]), ParameterScope::All, "{query}");
        }
    }

    #[test]
    fn an_existence_test_of_the_map_reads_nothing_of_it() {
        assert_eq!(
            scope_of(&["$.endpoints[?$.parameters && @.name]", "$[?@.A].B"]),
            only(&["A", "B"], &[])
        );
    }

    #[test]
    fn the_map_or_the_root_selected_is_read_where_the_message_quotes_it() {
        let read = |query: &str, message: &str| {
            let mut reads = Reads::default();
            reads.selected(query, &Template::parse(message).expect("a template"));
            reads.into_scope()
        };
        // `$[?@.position_records > 0]` selects the map if a parameter has that name.
        assert_eq!(
            read("$[?@.position_records > 0]", "{position_records} positions"),
            only(&["position_records"], &[])
        );
        assert_eq!(
            read("$.parameters", "{SYSID_ENFORCE.value}"),
            only(&["SYSID_ENFORCE"], &[])
        );
        assert_eq!(
            read("$", "{parameters.LOG_DISARMED.value} {format}"),
            only(&["LOG_DISARMED"], &[])
        );
        assert_eq!(read("$", "{parameters}"), ParameterScope::All);
    }

    #[test]
    fn the_built_in_rules_read_a_few_dozen_parameters() {
        let rules = crate::rules::load(None).expect("built-in rules");
        let unbounded: Vec<&str> = rules
            .rules
            .iter()
            .filter(|rule| parameter_scope(std::slice::from_ref(rule)) == ParameterScope::All)
            .map(|rule| rule.id.as_str())
            .collect();
        assert!(unbounded.is_empty(), "{unbounded:?} read every parameter");
        let ParameterScope::Only { names, families } = parameter_scope(&rules.rules) else {
            panic!("the built-in rules read every parameter");
        };
        assert!(names.contains("SYSID_ENFORCE") && names.contains("MAV_SIGN_CFG"));
        assert!(families.contains("SERIALn_PROTOCOL"));
        assert!(names.len() + families.len() < 100, "{names:?} {families:?}");
    }

    #[test]
    fn deep_nesting_is_not_read() {
        let deep = format!("$[?{}@.A{}]", "(".repeat(100), ")".repeat(100));
        assert!(serde_json_path::JsonPath::parse(&deep).is_ok());
        assert_eq!(scope_of(&[&deep]), ParameterScope::All);
    }
}

/// Rules whose reads are bounded give the same findings on evidence cut to the scope as on the
/// whole evidence: thousands of generated queries over a document with every kind of node.
#[cfg(test)]
mod differential {
    use super::*;
    use serde_json::{json, Value};
    use serde_json_path::JsonPath;

    /// A small deterministic generator (xorshift64*), so a failure names its seed.
    struct Dice(u64);

    impl Dice {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }

        fn pick<'a>(&mut self, choices: &[&'a str]) -> &'a str {
            choices[(self.next() % choices.len() as u64) as usize]
        }
    }

    const NAMES: &[&str] = &[
        "A",
        "B1",
        "SERIAL1_PROTOCOL",
        "SERIAL2_PROTOCOL",
        "policy",
        "value",
    ];
    const FAMILIES: &[&str] = &["SERIALn_PROTOCOL", "Bn"];

    fn document() -> Value {
        json!({
            "format": "mission-planner",
            "parameter_count": 6,
            "parameters": {
                "A": {"name": "A", "value": 0, "line": 1},
                "B1": {"name": "B1", "value": 1, "line": 2, "family": "Bn", "bits": [0]},
                "SERIAL1_PROTOCOL": {"name": "SERIAL1_PROTOCOL", "value": 1, "line": 3, "family": "SERIALn_PROTOCOL"},
                "SERIAL2_PROTOCOL": {"name": "SERIAL2_PROTOCOL", "value": 2, "line": 4, "family": "SERIALn_PROTOCOL"},
                "policy": {"name": "policy", "value": 1, "line": 5},
                "value": {"name": "value", "value": 3, "line": 6, "superseded_by": "x:1"},
            },
            "families": {"SERIALn_PROTOCOL": 2, "Bn": 1},
            "endpoints": [{"name": "NET_P1", "value": 1, "policy": {"allowed": false}}],
            "policy": {"approved": false},
        })
    }

    fn cut(document: &Value, scope: &ParameterScope) -> Value {
        let mut cut = document.clone();
        if let Some(map) = cut["parameters"].as_object_mut() {
            map.retain(|name, node| scope.holds(name, node["family"].as_str()));
        }
        cut
    }

    fn filter(dice: &mut Dice, depth: u32) -> String {
        let leaf = |dice: &mut Dice| -> String {
            match dice.next() % 12 {
                0 => format!("@.family == '{}'", dice.pick(FAMILIES)),
                1 => format!("'{}' == @.name", dice.pick(NAMES)),
                2 => format!("@.value {} 1", dice.pick(&["==", "!=", ">", "<="])),
                3 => format!("@.{}", dice.pick(NAMES)),
                4 => format!("!@.{}", dice.pick(&["superseded_by", "bits", "A"])),
                5 => format!("$.parameters.{}.value == 1", dice.pick(NAMES)),
                6 => format!("length(@) {} 2", dice.pick(&[">", "=="])),
                7 => "count(@.*) > 1".to_owned(),
                8 => format!(
                    "@ == $.{}",
                    dice.pick(&["parameters", "policy", "families"])
                ),
                9 => format!("@.{}.value == 1", dice.pick(NAMES)),
                10 => "@.bits[?@ == 0]".to_owned(),
                _ => format!("@.family != '{}'", dice.pick(FAMILIES)),
            }
        };
        if depth == 0 {
            return leaf(dice);
        }
        match dice.next() % 4 {
            0 => format!("{} && {}", filter(dice, depth - 1), filter(dice, depth - 1)),
            1 => format!(
                "({}) || {}",
                filter(dice, depth - 1),
                filter(dice, depth - 1)
            ),
            2 => format!("!({})", filter(dice, depth - 1)),
            _ => leaf(dice),
        }
    }

    fn query(dice: &mut Dice) -> String {
        let mut query = "$".to_owned();
        for _ in 0..=dice.next() % 3 {
            let segment = match dice.next() % 10 {
                0 | 1 => ".parameters".to_owned(),
                2 => format!(".{}", dice.pick(NAMES)),
                3 => format!("['{}', '{}']", dice.pick(NAMES), dice.pick(NAMES)),
                4 => dice.pick(&[".*", "[*]", "[0]", "[0:2]"]).to_owned(),
                5 => format!("..{}", dice.pick(&["value", "*", "name"])),
                _ => format!("[?{}]", filter(dice, 2)),
            };
            query.push_str(&segment);
        }
        query
    }

    #[test]
    fn bounded_reads_select_the_same_nodes_from_the_cut_evidence() {
        let whole = document();
        let message = Template::parse("{value} {A.value} {parameters.B1.value} {SERIAL1_PROTOCOL}")
            .expect("a template");
        let (mut bounded, mut total) = (0, 0);
        for seed in 1..=20_000u64 {
            let mut dice = Dice(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
            let text = query(&mut dice);
            let Ok(path) = JsonPath::parse(&text) else {
                continue;
            };
            total += 1;
            let mut reads = Reads::default();
            reads.selected(&text, &message);
            let scope = reads.into_scope();
            if scope == ParameterScope::All {
                continue;
            }
            bounded += 1;
            let cut = cut(&whole, &scope);
            let results = |document: &Value| -> Vec<(String, String)> {
                path.query_located(document)
                    .dedup()
                    .iter()
                    .map(|node| (node.location().to_string(), message.render(node.node())))
                    .collect()
            };
            assert_eq!(
                results(&whole),
                results(&cut),
                "seed {seed}: {text} with {scope:?}"
            );
        }
        // Most generated queries are valid, and a good share of them bounded.
        assert!(total > 15_000 && bounded > 3_000, "{bounded} of {total}");
    }
}
