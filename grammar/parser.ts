// The .pq grammar as a Chevrotain CstParser. Rules stay purely syntactic: checks
// that need context (which statements a body admits, `return` placement, bit
// widths, argument order) live in toAst.ts, where they yield precise diagnostics
// instead of generic "expected X" errors.
import { CstParser, EOF, type IParserErrorMessageProvider, type TokenType } from "chevrotain";
import * as T from "./lexer.js";

function describe(tokenType: TokenType): string {
  if (tokenType === EOF) return "end of file";
  return tokenType.LABEL ?? tokenType.name;
}

/** "a, b or c" */
function oneOf(phrases: string[]): string {
  const unique = [...new Set(phrases)];
  if (unique.length <= 1) return unique[0] ?? "something else";
  return `${unique.slice(0, -1).join(", ")} or ${unique[unique.length - 1]}`;
}

function firstTokens(paths: TokenType[][]): string[] {
  return paths.flatMap((p) => (p.length > 0 ? [describe(p[0]!)] : []));
}

// Only the "expected ..." phrase is produced here; parse.ts adds what was found
// and picks the diagnostic code, since it also needs the token's position.
const expectedPhrases: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected, ruleName }): string {
    // A body's statement loop ends on anything unexpected and then demands `}`.
    if (ruleName === "body" && expected === T.RBrace) return "a statement or '}'";
    return describe(expected);
  },
  buildNotAllInputParsedMessage(): string {
    return "a declaration";
  },
  buildNoViableAltMessage({ expectedPathsPerAlt, customUserDescription }): string {
    return customUserDescription ?? oneOf(expectedPathsPerAlt.flatMap(firstTokens));
  },
  buildEarlyExitMessage({ expectedIterationPaths, customUserDescription }): string {
    return customUserDescription ?? oneOf(firstTokens(expectedIterationPaths));
  },
};

export class PqParser extends CstParser {
  constructor() {
    super(T.allTokens, {
      nodeLocationTracking: "full",
      recoveryEnabled: true,
      errorMessageProvider: expectedPhrases,
    });
    this.performSelfAnalysis();
  }

  sourceFile = this.RULE("sourceFile", () => {
    this.MANY(() => this.SUBRULE(this.topDecl));
  });

  topDecl = this.RULE("topDecl", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.importDecl) },
      { ALT: () => this.SUBRULE(this.modelDecl) },
      { ALT: () => this.SUBRULE(this.blockDecl) },
      { ALT: () => this.SUBRULE(this.protocolDecl) },
    ]);
  });

  importDecl = this.RULE("importDecl", () => {
    this.CONSUME(T.Import);
    this.CONSUME(T.StringLit);
    this.OPTION(() => this.CONSUME(T.Semicolon));
  });

  modelDecl = this.RULE("modelDecl", () => {
    this.CONSUME(T.Model);
    this.CONSUME(T.Identifier);
    this.SUBRULE(this.body);
  });

  blockDecl = this.RULE("blockDecl", () => {
    this.CONSUME(T.Block);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.LParen);
    this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.blockParam) });
    this.CONSUME(T.RParen);
    this.SUBRULE(this.body);
  });

  blockParam = this.RULE("blockParam", () => {
    this.CONSUME(T.Identifier);
    this.OPTION(() => {
      this.CONSUME(T.Colon);
      this.CONSUME(T.Int);
      this.OPTION2(() => {
        this.CONSUME(T.Equals);
        this.SUBRULE(this.expression);
      });
    });
  });

  protocolDecl = this.RULE("protocolDecl", () => {
    this.CONSUME(T.Protocol);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.LParen);
    this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.protocolParam) });
    this.CONSUME(T.RParen);
    this.CONSUME(T.Arrow);
    this.SUBRULE(this.typeExpr);
    this.SUBRULE(this.body);
  });

  protocolParam = this.RULE("protocolParam", () => {
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Colon);
    this.SUBRULE(this.typeExpr);
  });

  // Models, blocks and protocols share one body grammar; toAst.ts rejects the
  // statements a given body does not admit (PQ1009) and checks `return` (PQ1008).
  body = this.RULE("body", () => {
    this.CONSUME(T.LBrace);
    this.MANY(() => this.SUBRULE(this.statement));
    this.CONSUME(T.RBrace);
  });

  statement = this.RULE("statement", () => {
    this.OR({
      DEF: [
        { ALT: () => this.SUBRULE(this.inputStmt) },
        { ALT: () => this.SUBRULE(this.paramsStmt) },
        { ALT: () => this.SUBRULE(this.paramStmt) },
        { ALT: () => this.SUBRULE(this.letStmt) },
        { ALT: () => this.SUBRULE(this.outputStmt) },
        { ALT: () => this.SUBRULE(this.returnStmt) },
      ],
      ERR_MSG: "a statement",
    });
    this.OPTION(() => this.CONSUME(T.Semicolon));
  });

  // `input x: u8[3, 32, 32] scale 2^-8 (zero = 0, mean = [..], std = [..])`: how real values
  // become the input's integers (LANGUAGE.md, Inputs); the attributes are the input op's descriptor's.
  inputStmt = this.RULE("inputStmt", () => {
    this.CONSUME(T.Input);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Colon);
    this.SUBRULE(this.typeExpr);
    this.OPTION(() => {
      this.CONSUME(T.LParen);
      this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.argument) });
      this.CONSUME(T.RParen);
    });
  });

  paramsStmt = this.RULE("paramsStmt", () => {
    this.CONSUME(T.Params);
    this.CONSUME(T.StringLit);
  });

  paramStmt = this.RULE("paramStmt", () => {
    this.CONSUME(T.Param);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Colon);
    this.SUBRULE(this.typeExpr);
  });

  letStmt = this.RULE("letStmt", () => {
    this.CONSUME(T.Let);
    this.CONSUME(T.Identifier);
    this.OPTION(() => {
      this.CONSUME(T.Colon);
      this.SUBRULE(this.typeExpr);
    });
    this.CONSUME(T.Equals);
    this.SUBRULE(this.expression);
  });

  outputStmt = this.RULE("outputStmt", () => {
    this.CONSUME(T.Output);
    this.SUBRULE(this.expression);
    this.OPTION(() => {
      this.CONSUME(T.To);
      this.OR([{ ALT: () => this.CONSUME(T.Client) }, { ALT: () => this.CONSUME(T.Server) }]);
    });
  });

  returnStmt = this.RULE("returnStmt", () => {
    this.CONSUME(T.Return);
    this.SUBRULE(this.expression);
  });

  typeExpr = this.RULE("typeExpr", () => {
    this.OPTION(() => this.CONSUME(T.Visibility));
    this.CONSUME(T.ElemType);
    this.OPTION2(() => {
      this.CONSUME(T.LBracket);
      this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.dim), ERR_MSG: "a dimension (an integer or a name)" });
      this.CONSUME(T.RBracket);
    });
    this.OPTION3(() => {
      this.CONSUME(T.Scale);
      this.SUBRULE(this.scaleExpr);
    });
    this.OPTION4(() => this.CONSUME(T.Nonneg));
  });

  dim = this.RULE("dim", () => {
    this.OR({
      DEF: [{ ALT: () => this.CONSUME(T.IntLit) }, { ALT: () => this.CONSUME(T.Identifier) }],
      ERR_MSG: "a dimension (an integer or a name)",
    });
  });

  scaleExpr = this.RULE("scaleExpr", () => {
    this.OR({
      DEF: [
        {
          ALT: () => {
            this.CONSUME(T.IntLit, { LABEL: "base" });
            this.CONSUME(T.Caret);
            this.OPTION(() => this.CONSUME(T.Minus));
            this.CONSUME2(T.IntLit, { LABEL: "exponent" });
          },
        },
        { ALT: () => this.CONSUME(T.RealLit) },
        { ALT: () => this.CONSUME3(T.IntLit) },
        { ALT: () => this.CONSUME(T.Identifier) },
      ],
      ERR_MSG: "a scale such as 2^-8, 0.5 or a name",
    });
  });

  expression = this.RULE("expression", () => {
    this.SUBRULE(this.primary);
    this.MANY(() => {
      this.CONSUME(T.As);
      this.SUBRULE(this.typeExpr);
    });
  });

  primary = this.RULE("primary", () => {
    this.OR({
      DEF: [
        { ALT: () => this.CONSUME(T.IntLit) },
        { ALT: () => this.CONSUME(T.RealLit) },
        { ALT: () => this.SUBRULE(this.callOrName) },
        { ALT: () => this.SUBRULE(this.list) },
        { ALT: () => this.SUBRULE(this.parenthesized) },
        { ALT: () => this.SUBRULE(this.negation) },
        { ALT: () => this.SUBRULE(this.typeExpr) },
      ],
      ERR_MSG: "an expression",
    });
  });

  callOrName = this.RULE("callOrName", () => {
    this.CONSUME(T.Identifier);
    this.OPTION(() => {
      this.CONSUME(T.LParen);
      this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.argument) });
      this.CONSUME(T.RParen);
    });
  });

  // Named and positional arguments may interleave here; toAst.ts reports a
  // positional one after a named one (PQ1011) with a clearer message than the
  // parser could. `to` and `scale` are keywords elsewhere but natural attribute
  // names (`sext(x, to = i16)`), so they are accepted as argument names.
  argument = this.RULE("argument", () => {
    this.OR({
      DEF: [
        {
          ALT: () => {
            this.OR2([
              { ALT: () => this.CONSUME(T.Identifier, { LABEL: "name" }) },
              { ALT: () => this.CONSUME(T.To, { LABEL: "name" }) },
              { ALT: () => this.CONSUME(T.Scale, { LABEL: "name" }) },
            ]);
            this.CONSUME(T.Equals);
            this.SUBRULE(this.expression);
          },
        },
        { ALT: () => this.SUBRULE2(this.expression) },
      ],
      ERR_MSG: "an argument",
    });
  });

  list = this.RULE("list", () => {
    this.CONSUME(T.LBracket);
    this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.expression) });
    this.CONSUME(T.RBracket);
  });

  parenthesized = this.RULE("parenthesized", () => {
    this.CONSUME(T.LParen);
    this.SUBRULE(this.expression);
    this.CONSUME(T.RParen);
  });

  negation = this.RULE("negation", () => {
    this.CONSUME(T.Minus);
    this.SUBRULE(this.primary);
  });
}

/** The single shared instance: building a Chevrotain parser is expensive. */
export const pqParser = new PqParser();
