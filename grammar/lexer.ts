// Tokens of the .pq language. Every token carries a `label`: the parser's error
// messages quote it, so it is written for a user ("an identifier", "')'").
import { createToken, Lexer, type IToken, type TokenType } from "chevrotain";

export const Identifier = createToken({ name: "Identifier", pattern: /[A-Za-z_][A-Za-z0-9_]*/, label: "an identifier" });

function keyword(word: string): TokenType {
  // longer_alt keeps `letter`, `input2`, `scaled` identifiers.
  return createToken({ name: `Kw_${word}`, pattern: new RegExp(word), longer_alt: Identifier, label: `'${word}'` });
}

export const Import = keyword("import");
export const Model = keyword("model");
export const Block = keyword("block");
export const Protocol = keyword("protocol");
export const Input = keyword("input");
// `params` must be tried before `param`, or `params` would lex as `param` + `s`.
export const Params = keyword("params");
export const Param = keyword("param");
export const Let = keyword("let");
export const Output = keyword("output");
export const Return = keyword("return");
export const To = keyword("to");
export const As = keyword("as");
export const Scale = keyword("scale");
export const Nonneg = keyword("nonneg");
export const Int = keyword("int");

/** The four visibility keywords share a category so a type may start with any of them. */
export const Visibility = createToken({ name: "Visibility", pattern: Lexer.NA, label: "a visibility (public, client, server or shared)" });
function visibility(word: string): TokenType {
  return createToken({ name: `Kw_${word}`, pattern: new RegExp(word), longer_alt: Identifier, categories: [Visibility], label: `'${word}'` });
}
export const Public = visibility("public");
export const Client = visibility("client");
export const Server = visibility("server");
export const Shared = visibility("shared");

// `i0` is lexed as a type (and rejected later as PQ1006) rather than as an
// identifier, so a bad width gets a precise message instead of a confusing parse error.
export const ElemType = createToken({
  name: "ElemType",
  pattern: /[iu](?:0|[1-9][0-9]*|[A-Z])/,
  longer_alt: Identifier,
  label: "a type such as i8 or u4",
});

// Reals before integers so `1.5` and `1e-3` are not split into an integer and junk.
export const RealLit = createToken({
  name: "RealLit",
  pattern: /[0-9]+(?:\.[0-9]+(?:[eE][+-]?[0-9]+)?|[eE][+-]?[0-9]+)/,
  label: "a number",
});
export const IntLit = createToken({ name: "IntLit", pattern: Lexer.NA, label: "an integer" });
export const HexLit = createToken({ name: "HexLit", pattern: /0[xX][0-9a-fA-F]+/, categories: [IntLit], label: "an integer" });
export const DecLit = createToken({ name: "DecLit", pattern: /[0-9]+/, categories: [IntLit], label: "an integer" });

export const StringLit = createToken({ name: "StringLit", pattern: Lexer.NA, label: "a string" });
export const ClosedString = createToken({ name: "ClosedString", pattern: /"[^"\r\n]*"/, categories: [StringLit], label: "a string" });
// An unterminated string still parses as a string so the only error is PQ1002.
export const OpenString = createToken({ name: "OpenString", pattern: /"[^"\r\n]*/, categories: [StringLit], label: "a string" });

export const Arrow = createToken({ name: "Arrow", pattern: /->/, label: "'->'" });
export const Minus = createToken({ name: "Minus", pattern: /-/, label: "'-'" });
export const Caret = createToken({ name: "Caret", pattern: /\^/, label: "'^'" });
export const LParen = createToken({ name: "LParen", pattern: /\(/, label: "'('" });
export const RParen = createToken({ name: "RParen", pattern: /\)/, label: "')'" });
export const LBracket = createToken({ name: "LBracket", pattern: /\[/, label: "'['" });
export const RBracket = createToken({ name: "RBracket", pattern: /\]/, label: "']'" });
export const LBrace = createToken({ name: "LBrace", pattern: /\{/, label: "'{'" });
export const RBrace = createToken({ name: "RBrace", pattern: /\}/, label: "'}'" });
export const Comma = createToken({ name: "Comma", pattern: /,/, label: "','" });
export const Colon = createToken({ name: "Colon", pattern: /:/, label: "':'" });
export const Equals = createToken({ name: "Equals", pattern: /=/, label: "'='" });
export const Semicolon = createToken({ name: "Semicolon", pattern: /;/, label: "';'" });

export const WhiteSpace = createToken({ name: "WhiteSpace", pattern: /\s+/, group: Lexer.SKIPPED, line_breaks: true });
export const LineComment = createToken({ name: "LineComment", pattern: /\/\/[^\r\n]*/, group: Lexer.SKIPPED });
export const BlockComment = createToken({ name: "BlockComment", pattern: /\/\*[\s\S]*?\*\//, group: Lexer.SKIPPED, line_breaks: true });
/** Kept in its own lexer group so parse.ts can report it; the parser never sees it. */
export const OPEN_COMMENT_GROUP = "openComment";
export const OpenComment = createToken({ name: "OpenComment", pattern: /\/\*[\s\S]*/, group: OPEN_COMMENT_GROUP, line_breaks: true });

/**
 * A run of characters that start no token (PQ1001), kept in its own group for parse.ts. As a
 * token rather than a lexing error it costs little: chevrotain's error records made a 10 MB
 * file of junk take over a gigabyte. After MAX_INVALID_RUNS runs the rest of the text is one
 * last run, so reading stops there (PQ1014): such a file is not .pq source.
 */
export const INVALID_GROUP = "invalid";
export const MAX_INVALID_RUNS = 20;
const STARTS_A_TOKEN = /[\sA-Za-z0-9_"\-^()[\]{},:=;]/;
// `/` starts a token only as `//` or `/*`.
const INVALID_RUN = /(?:[^\sA-Za-z0-9_"\-^()[\]{},:=;/]|\/(?![/*]))+/y;
export const Invalid = createToken({
  name: "Invalid",
  pattern: {
    exec: (text: string, offset: number, _tokens: IToken[], groups: Record<string, IToken[]>) => {
      if ((groups[INVALID_GROUP]?.length ?? 0) >= MAX_INVALID_RUNS) return [text.slice(offset)];
      INVALID_RUN.lastIndex = offset;
      return INVALID_RUN.exec(text);
    },
  },
  group: INVALID_GROUP,
  line_breaks: true,
  // Every UTF-16 code unit that starts no token (chevrotain's first-character index needs them).
  start_chars_hint: Array.from({ length: 0x10000 }, (_, c) => c).filter((c) => !STARTS_A_TOKEN.test(String.fromCharCode(c))),
  label: "a character that starts no token",
});

export const allTokens: TokenType[] = [
  WhiteSpace,
  LineComment,
  BlockComment,
  OpenComment,
  Import,
  Model,
  Block,
  Protocol,
  Input,
  Params,
  Param,
  Let,
  Output,
  Return,
  To,
  As,
  Scale,
  Nonneg,
  Int,
  Visibility,
  Public,
  Client,
  Server,
  Shared,
  ElemType,
  Identifier,
  RealLit,
  IntLit,
  HexLit,
  DecLit,
  StringLit,
  ClosedString,
  OpenString,
  Arrow,
  Minus,
  Caret,
  LParen,
  RParen,
  LBracket,
  RBracket,
  LBrace,
  RBrace,
  Comma,
  Colon,
  Equals,
  Semicolon,
  Invalid,
];

export const pqLexer = new Lexer(allTokens, { positionTracking: "full", ensureOptimizations: true });
