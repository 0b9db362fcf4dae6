package org.havirt.config.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.havirt.config.Diagnostic;
import org.havirt.config.Position;
import org.havirt.config.ast.AssocValue;
import org.havirt.config.ast.Attribute;
import org.havirt.config.ast.AttributeDecl;
import org.havirt.config.ast.ClusterDef;
import org.havirt.config.ast.Comment;
import org.havirt.config.ast.ConfigFile;
import org.havirt.config.ast.GroupDef;
import org.havirt.config.ast.GroupDependency;
import org.havirt.config.ast.Include;
import org.havirt.config.ast.ListValue;
import org.havirt.config.ast.ResourceDef;
import org.havirt.config.ast.ResourceDependency;
import org.havirt.config.ast.Scalar;
import org.havirt.config.ast.Statement;
import org.havirt.config.ast.SystemDef;
import org.havirt.config.ast.TypeDef;
import org.havirt.config.ast.Value;

/**
 * Recursive-descent parser for main.cf and types.cf. It never throws on bad input: each problem
 * becomes a diagnostic, the parser skips to a point where it can go on, and the model it returns
 * holds everything it could read.
 */
public final class Parser {
  /** Beyond this, further syntax errors in one file add nothing a person can use. */
  private static final int MAX_ERRORS = 50;

  private final String file;
  private final List<Token> tokens;
  private final List<Diagnostic> diagnostics;
  private final List<Comment> pending = new ArrayList<>();
  private int index;
  private int errorCount;

  public Parser(String file, List<Token> tokens, List<Diagnostic> diagnostics) {
    this.file = file;
    this.tokens = tokens;
    this.diagnostics = diagnostics;
  }

  // ---- token stream ----

  /** Returns the next non-comment token, collecting comments on the way. */
  private Token peek() {
    Token t = tokens.get(index);
    while (t.kind() == TokenKind.COMMENT) {
      pending.add(new Comment(t.text(), pos(t)));
      t = tokens.get(++index);
    }
    return t;
  }

  private Token peekAhead(int n) {
    int i = index;
    int seen = 0;
    while (true) {
      Token t = tokens.get(i);
      if (t.kind() == TokenKind.EOF) {
        return t;
      }
      if (t.kind() != TokenKind.COMMENT) {
        if (seen == n) {
          return t;
        }
        seen++;
      }
      i++;
    }
  }

  private Token next() {
    Token t = peek();
    if (t.kind() != TokenKind.EOF) {
      index++;
    }
    return t;
  }

  private List<Comment> takeComments() {
    List<Comment> c = List.copyOf(pending);
    pending.clear();
    return c;
  }

  /** Takes a comment written on {@code line} right after the last token, if there is one. */
  private Optional<Comment> trailingComment(int line) {
    Token t = tokens.get(index);
    if (t.kind() == TokenKind.COMMENT && t.line() == line && pending.isEmpty()) {
      index++;
      return Optional.of(new Comment(t.text(), pos(t)));
    }
    return Optional.empty();
  }

  private int lastLine() {
    for (int i = index - 1; i >= 0; i--) {
      if (tokens.get(i).kind() != TokenKind.COMMENT) {
        return tokens.get(i).endLine();
      }
    }
    return 0;
  }

  private Position pos(Token t) {
    return new Position(file, t.line(), t.column());
  }

  private void error(Token at, String message) {
    errorCount++;
    if (errorCount < MAX_ERRORS) {
      diagnostics.add(Diagnostic.error(pos(at), message));
    } else if (errorCount == MAX_ERRORS) {
      diagnostics.add(Diagnostic.error(pos(at), "too many syntax errors; stopped reporting"));
    }
  }

  private static boolean isWord(Token t, String word) {
    return t.kind() == TokenKind.WORD && t.text().equalsIgnoreCase(word);
  }

  // ---- file ----

  /** Parses the whole file. */
  public ConfigFile parseFile() {
    List<Statement> top = new ArrayList<>();
    GroupBuilder group = null;
    while (true) {
      Token t = peek();
      if (t.kind() == TokenKind.EOF) {
        break;
      }
      if (t.kind() != TokenKind.WORD) {
        error(
            t,
            "expected a statement (include, cluster, system, group, type, a resource or a dependency), found "
                + t.describe());
        skipStatement();
        continue;
      }
      String word = t.text();
      if (word.equals("group") && peekAhead(1).kind() == TokenKind.WORD) {
        if (group != null) {
          top.set(group.slot, group.build());
        }
        group = parseGroupHead();
        group.slot = top.size();
        top.add(null);
        continue;
      }
      Statement s = parseStatement(t, group);
      if (s == null) {
        continue;
      }
      boolean member =
          s instanceof ResourceDef
              || s instanceof ResourceDependency
              || s instanceof GroupDependency;
      if (member && group != null) {
        group.members.add(s);
      } else {
        top.add(s);
      }
    }
    if (group != null) {
      top.set(group.slot, group.build());
    }
    return new ConfigFile(file, top, takeComments());
  }

  private Statement parseStatement(Token t, GroupBuilder group) {
    switch (t.text()) {
      case "include" -> {
        return parseInclude();
      }
      case "cluster", "system" -> {
        if (peekAhead(1).kind() == TokenKind.WORD && peekAhead(2).kind() == TokenKind.LPAREN) {
          return parseClusterOrSystem();
        }
      }
      case "type" -> {
        if (peekAhead(1).kind() == TokenKind.WORD && peekAhead(2).kind() == TokenKind.LPAREN) {
          return parseType();
        }
      }
      case "requires" -> {
        return parseGroupDependency(Optional.empty(), group);
      }
      default -> {
        // handled below
      }
    }
    Token second = peekAhead(1);
    Token third = peekAhead(2);
    if (second.kind() == TokenKind.WORD && third.kind() == TokenKind.LPAREN) {
      return parseResource();
    }
    if (isWord(second, "requires") && isWord(third, "group")) {
      List<Comment> comments = takeComments();
      Token parent = next();
      next(); // requires
      pending.addAll(0, comments);
      return parseGroupDependency(Optional.of(parent), group);
    }
    if (isWord(second, "requires")) {
      return parseResourceDependency();
    }
    if (second.kind() == TokenKind.WORD && third.kind() == TokenKind.EOF) {
      error(
          third,
          "resource '"
              + second.text()
              + "' of type '"
              + t.text()
              + "' has no attribute block: expected '('");
    } else if (second.kind() == TokenKind.WORD) {
      error(
          third,
          "expected '(' after '" + t.text() + " " + second.text() + "', found " + third.describe());
    } else {
      error(
          t,
          "unexpected "
              + t.describe()
              + ": expected a statement (include, cluster, system, group, type, a resource or a dependency)");
    }
    skipStatement();
    return null;
  }

  /** Skips to the next token that starts a line at the outermost level, or past a block. */
  private void skipStatement() {
    int depth = 0;
    Token t = next();
    if (t.kind() == TokenKind.LPAREN) {
      depth++;
    }
    while (true) {
      t = peek();
      if (t.kind() == TokenKind.EOF) {
        return;
      }
      if (depth == 0 && t.firstOnLine() && t.kind() == TokenKind.WORD) {
        return;
      }
      next();
      if (t.kind() == TokenKind.LPAREN) {
        depth++;
      } else if (t.kind() == TokenKind.RPAREN && depth > 0) {
        depth--;
      }
    }
    // pending comments stay for the next statement
  }

  private Include parseInclude() {
    List<Comment> comments = takeComments();
    Token kw = next();
    Token path = peek();
    if (path.kind() != TokenKind.STRING && path.kind() != TokenKind.WORD) {
      error(path, "expected a quoted file name after 'include', found " + path.describe());
      return null;
    }
    next();
    trailingComment(lastLine()).ifPresent(c -> pending.add(c));
    return new Include(path.text(), pos(kw), comments);
  }

  private Statement parseClusterOrSystem() {
    List<Comment> comments = takeComments();
    Token kw = next();
    Token name = next();
    Block b = parseAttributeBlock(kw.text() + " '" + name.text() + "'");
    return kw.text().equals("cluster")
        ? new ClusterDef(name.text(), b.attributes, b.closing, pos(kw), comments)
        : new SystemDef(name.text(), b.attributes, b.closing, pos(kw), comments);
  }

  private GroupBuilder parseGroupHead() {
    GroupBuilder g = new GroupBuilder();
    g.comments = takeComments();
    Token kw = next();
    Token name = next();
    g.name = name.text();
    g.position = pos(kw);
    if (peek().kind() != TokenKind.LPAREN) {
      error(peek(), "expected '(' after 'group " + name.text() + "', found " + peek().describe());
      g.attributes = List.of();
      g.closing = List.of();
      return g;
    }
    Block b = parseAttributeBlock("group '" + name.text() + "'");
    g.attributes = b.attributes;
    g.closing = b.closing;
    return g;
  }

  private ResourceDef parseResource() {
    List<Comment> comments = takeComments();
    Token type = next();
    Token name = next();
    Block b = parseAttributeBlock("resource '" + name.text() + "'");
    return new ResourceDef(
        type.text(), name.text(), b.attributes, b.closing, pos(name), pos(type), comments);
  }

  private ResourceDependency parseResourceDependency() {
    List<Comment> comments = takeComments();
    Token parent = next();
    next(); // requires
    Token child = peek();
    if (child.kind() != TokenKind.WORD) {
      error(
          child,
          "expected a resource name after '"
              + parent.text()
              + " requires', found "
              + child.describe());
      skipStatement();
      return null;
    }
    next();
    Optional<Comment> trailing = trailingComment(child.line());
    return new ResourceDependency(
        parent.text(), child.text(), pos(parent), pos(child), comments, trailing);
  }

  private GroupDependency parseGroupDependency(Optional<Token> explicitParent, GroupBuilder group) {
    List<Comment> comments = takeComments();
    Token requires = explicitParent.orElseGet(this::next);
    Token groupKw = peek();
    if (!isWord(groupKw, "group")) {
      error(
          groupKw,
          "expected 'group' after 'requires', found "
              + groupKw.describe()
              + " (a resource dependency is written 'parent requires child')");
      skipStatement();
      return null;
    }
    next();
    Token child = peek();
    if (child.kind() != TokenKind.WORD) {
      error(child, "expected a group name after 'requires group', found " + child.describe());
      skipStatement();
      return null;
    }
    next();
    Optional<GroupDependency.Category> category = word(GroupDependency.Category.class);
    if (category.isEmpty()) {
      error(
          peek(),
          "expected 'online' or 'offline' after 'requires group "
              + child.text()
              + "', found "
              + peek().describe());
      skipStatement();
      return null;
    }
    // VCS 4 wrote dependencies without a location; it meant local.
    GroupDependency.Location location =
        word(GroupDependency.Location.class).orElse(GroupDependency.Location.LOCAL);
    Optional<GroupDependency.Rigidity> rigidity = word(GroupDependency.Rigidity.class);
    if (rigidity.isEmpty()) {
      error(
          peek(),
          "expected 'soft', 'firm' or 'hard' to end 'requires group "
              + child.text()
              + " "
              + category.get().word()
              + " "
              + location.word()
              + "', found "
              + peek().describe());
      skipStatement();
      return null;
    }
    if (group == null) {
      error(requires, "a group dependency must follow the group that requires it");
    }
    Optional<Comment> trailing = trailingComment(lastLine());
    return new GroupDependency(
        explicitParent.map(Token::text),
        child.text(),
        category.get(),
        location,
        rigidity.get(),
        pos(requires),
        pos(child),
        comments,
        trailing);
  }

  private <E extends Enum<E>> Optional<E> word(Class<E> kind) {
    Token t = peek();
    if (t.kind() != TokenKind.WORD || t.firstOnLine()) {
      return Optional.empty();
    }
    for (E e : kind.getEnumConstants()) {
      if (e.name().equalsIgnoreCase(t.text())) {
        next();
        return Optional.of(e);
      }
    }
    return Optional.empty();
  }

  // ---- attribute blocks ----

  private static final class Block {
    final List<Attribute> attributes = new ArrayList<>();
    List<Comment> closing = List.of();
  }

  private Block parseAttributeBlock(String owner) {
    Block b = new Block();
    Token open = next(); // '('
    while (true) {
      Token t = peek();
      if (t.kind() == TokenKind.RPAREN) {
        b.closing = takeComments();
        next();
        return b;
      }
      if (t.kind() == TokenKind.EOF) {
        error(open, "the '(' of " + owner + " is never closed: expected ')'");
        b.closing = takeComments();
        return b;
      }
      if (t.kind() != TokenKind.WORD) {
        error(t, "expected an attribute name or ')' in " + owner + ", found " + t.describe());
        skipInBlock();
        continue;
      }
      Attribute a = parseAttribute(owner);
      if (a != null) {
        b.attributes.add(a);
      }
    }
  }

  /** Skips to the next line's first token or to the closing parenthesis of the block. */
  private void skipInBlock() {
    Token first = peek();
    if (first.kind() == TokenKind.RPAREN || first.kind() == TokenKind.EOF) {
      return; // the block's end: leave it for the block
    }
    next();
    while (true) {
      Token t = peek();
      if (t.kind() == TokenKind.EOF || t.kind() == TokenKind.RPAREN || t.firstOnLine()) {
        return;
      }
      next();
    }
  }

  private Attribute parseAttribute(String owner) {
    List<Comment> comments = takeComments();
    Token name = next();
    String attr = name.text();
    Optional<String> system = Optional.empty();
    int at = attr.indexOf('@');
    if (at > 0 && at < attr.length() - 1) {
      system = Optional.of(attr.substring(at + 1));
      attr = attr.substring(0, at);
    } else if (at >= 0) {
      error(name, "'" + attr + "' is not an attribute name: write Attribute@system = value");
      skipInBlock();
      return null;
    } else if (peek().kind() == TokenKind.WORD
        && peek().text().startsWith("@")
        && peek().text().length() > 1) {
      system = Optional.of(next().text().substring(1));
    }
    Token eq = peek();
    if (eq.kind() != TokenKind.EQUALS) {
      error(
          eq,
          "expected '=' after attribute '"
              + name.text()
              + "' in "
              + owner
              + ", found "
              + eq.describe());
      skipInBlock();
      return null;
    }
    next();
    int before = pending.size();
    Value v = parseValue(name.text());
    if (v == null) {
      skipInBlock();
      return null;
    }
    // Comments written inside a multi-line value stay with the attribute, printed before it.
    List<Comment> all = new ArrayList<>(comments);
    if (pending.size() > before) {
      all.addAll(pending.subList(before, pending.size()));
      pending.subList(before, pending.size()).clear();
    }
    Optional<Comment> trailing = trailingComment(lastLine());
    return new Attribute(attr, system, v, pos(name), all, trailing);
  }

  private Value parseValue(String attr) {
    Token t = peek();
    switch (t.kind()) {
      case WORD, STRING -> {
        next();
        return scalar(t);
      }
      case LBRACE, LBRACKET -> {
        return parseBraced();
      }
      default -> {
        error(t, "expected a value after '" + attr + " =', found " + t.describe());
        return null;
      }
    }
  }

  private Scalar scalar(Token t) {
    return new Scalar(t.text(), t.kind() == TokenKind.STRING, pos(t));
  }

  private Value parseBraced() {
    Token open = next();
    TokenKind close = open.kind() == TokenKind.LBRACE ? TokenKind.RBRACE : TokenKind.RBRACKET;
    List<Scalar> items = new ArrayList<>();
    List<AssocValue.Entry> entries = new ArrayList<>();
    boolean assoc = false;
    while (true) {
      Token t = peek();
      if (t.kind() == TokenKind.COMMA || t.kind() == TokenKind.SEMICOLON) {
        next();
        continue;
      }
      if (t.kind() == TokenKind.RBRACE || t.kind() == TokenKind.RBRACKET) {
        next();
        if (t.kind() != close) {
          error(t, "'" + open.text() + "' is closed by '" + t.text() + "'");
        }
        break;
      }
      if (t.kind() != TokenKind.WORD && t.kind() != TokenKind.STRING) {
        error(
            t,
            t.kind() == TokenKind.EOF || t.kind() == TokenKind.RPAREN
                ? "the '" + open.text() + "' opened at line " + open.line() + " is never closed"
                : "expected a value or '"
                    + (close == TokenKind.RBRACE ? "}" : "]")
                    + "', found "
                    + t.describe());
        if (t.kind() != TokenKind.EOF && t.kind() != TokenKind.RPAREN && !t.firstOnLine()) {
          next();
          continue;
        }
        break;
      }
      next();
      Scalar item = scalar(t);
      boolean pair = peek().kind() == TokenKind.EQUALS;
      if (items.isEmpty() && entries.isEmpty()) {
        assoc = pair;
      }
      if (pair != assoc) {
        error(
            t,
            assoc
                ? "expected 'key = value' in this association, found " + t.describe() + " alone"
                : "'=' in a list: a value is either a list { a, b } or an association { k = v }");
      }
      if (pair) {
        next();
        Token v = peek();
        if (v.kind() != TokenKind.WORD && v.kind() != TokenKind.STRING) {
          error(v, "expected a value after '" + t.text() + " =', found " + v.describe());
          continue;
        }
        next();
        if (assoc) {
          entries.add(new AssocValue.Entry(item, scalar(v)));
        }
      } else if (!assoc) {
        items.add(item);
      }
    }
    return assoc
        ? new AssocValue(entries, pos(open))
        : new ListValue(items, open.kind() == TokenKind.LBRACKET, pos(open));
  }

  // ---- types ----

  private TypeDef parseType() {
    List<Comment> comments = takeComments();
    Token kw = next();
    Token name = next();
    next(); // '('
    List<AttributeDecl> decls = new ArrayList<>();
    while (true) {
      Token t = peek();
      if (t.kind() == TokenKind.RPAREN) {
        List<Comment> closing = takeComments();
        next();
        return new TypeDef(name.text(), decls, closing, pos(kw), comments);
      }
      if (t.kind() == TokenKind.EOF) {
        error(kw, "the '(' of type '" + name.text() + "' is never closed: expected ')'");
        return new TypeDef(name.text(), decls, takeComments(), pos(kw), comments);
      }
      AttributeDecl d = parseDecl(name.text());
      if (d != null) {
        decls.add(d);
      }
    }
  }

  private AttributeDecl parseDecl(String type) {
    List<Comment> comments = takeComments();
    Token first = peek();
    boolean isStatic = false;
    boolean isTemp = false;
    while (isWord(peek(), "static") || isWord(peek(), "temp")) {
      if (next().text().equalsIgnoreCase("static")) {
        isStatic = true;
      } else {
        isTemp = true;
      }
    }
    Token dt = peek();
    AttributeDecl.DataType dataType;
    AttributeDecl.Dimension dim = AttributeDecl.Dimension.SCALAR;
    String word = dt.kind() == TokenKind.WORD ? dt.text().toLowerCase(Locale.ROOT) : "";
    switch (word) {
      case "str" -> dataType = AttributeDecl.DataType.STR;
      case "i18nstr" -> dataType = AttributeDecl.DataType.I18NSTR;
      case "int" -> dataType = AttributeDecl.DataType.INT;
      case "boolean" -> dataType = AttributeDecl.DataType.BOOLEAN;
      case "keylist" -> {
        dataType = AttributeDecl.DataType.STR;
        dim = AttributeDecl.Dimension.KEYLIST;
      }
      default -> {
        error(
            dt,
            "expected an attribute type (str, int, boolean or keylist) in type '"
                + type
                + "', found "
                + dt.describe());
        skipInBlock();
        return null;
      }
    }
    next();
    Token name = peek();
    if (name.kind() != TokenKind.WORD) {
      error(name, "expected an attribute name after '" + dt.text() + "', found " + name.describe());
      skipInBlock();
      return null;
    }
    next();
    if (peek().kind() == TokenKind.LBRACKET && peekAhead(1).kind() == TokenKind.RBRACKET) {
      next();
      next();
      dim = dim == AttributeDecl.Dimension.KEYLIST ? dim : AttributeDecl.Dimension.VECTOR;
    } else if (peek().kind() == TokenKind.LBRACE && peekAhead(1).kind() == TokenKind.RBRACE) {
      next();
      next();
      if (dim == AttributeDecl.Dimension.KEYLIST) {
        error(name, "a keylist cannot also be an association");
      }
      dim = AttributeDecl.Dimension.ASSOCIATION;
    }
    Optional<Value> def = Optional.empty();
    if (peek().kind() == TokenKind.EQUALS) {
      next();
      Value v = parseValue(name.text());
      if (v == null) {
        skipInBlock();
        return null;
      }
      def = Optional.of(v);
    }
    Optional<Comment> trailing = trailingComment(lastLine());
    return new AttributeDecl(
        isStatic, isTemp, dataType, dim, name.text(), def, pos(first), comments, trailing);
  }

  /** A group being read: its members are collected until the next group starts. */
  private static final class GroupBuilder {
    String name;
    Position position;
    List<Comment> comments;
    List<Attribute> attributes;
    List<Comment> closing;
    final List<Statement> members = new ArrayList<>();
    int slot;

    GroupDef build() {
      return new GroupDef(name, attributes, closing, members, position, comments);
    }
  }
}
