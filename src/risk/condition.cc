#include "risk/condition.h"

#include <charconv>
#include <cmath>

#include <fmt/format.h>

#include "core/assert.h"

namespace netfin::risk {

namespace {

enum class Tok : uint8_t {
  kEnd,
  kNumber,
  kName,
  kAnd,
  kOr,
  kNot,
  kTrue,
  kFalse,
  kLParen,
  kRParen,
  kPlus,
  kMinus,
  kStar,
  kSlash,
  kLt,
  kLe,
  kGt,
  kGe,
  kEq,
  kNe,
};

struct Token {
  Tok kind = Tok::kEnd;
  size_t offset = 0;
  std::string_view text;
  double number = 0;
};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsNameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsNameChar(char c) { return IsNameStart(c) || IsDigit(c); }
bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// A value's type at compile time.
enum class Type : uint8_t { kNumber, kBool };

// The error that stops compilation: where and why.
struct CompileError {
  size_t offset;
  std::string message;
};

}  // namespace

// Tokenizes and parses in one pass, emitting postfix code as it goes.
class ConditionParser {
 public:
  ConditionParser(std::string_view text, Condition* out) : text_(text), out_(out) {}

  // Fills out_ or returns the first error.
  std::optional<CompileError> Parse();

 private:
  using Op = Condition::Op;

  // Each parse step returns the type of what it parsed, or an error.
  struct Parsed {
    Type type = Type::kNumber;
    std::optional<CompileError> error;
  };

  Parsed ParseOr();
  Parsed ParseAnd();
  Parsed ParseNot();
  Parsed ParseComparison();
  Parsed ParseSum();
  Parsed ParseProduct();
  Parsed ParseUnary();
  Parsed ParsePrimary();
  Parsed ParseName();
  Parsed ParseParenthesized();
  // One binary operator of an arithmetic level: its token and its code.
  struct Operator {
    Tok tok;
    Op op;
  };
  // Parses operand ((first | second) operand)*; with an operator, the
  // result is a number (a condition operand counts as 1 or 0).
  Parsed ParseArithmetic(Operator first, Operator second, Parsed (ConditionParser::*operand)());
  // Parses operand (op_name operand)*; with an operator, both sides must be
  // conditions.
  Parsed ParseLogical(Tok op_tok, Op op, std::string_view op_name,
                      Parsed (ConditionParser::*operand)());
  // An error unless p, which starts at start, is a condition.
  std::optional<CompileError> NeedCondition(const Parsed& p, size_t start,
                                            std::string_view op) const;

  std::optional<CompileError> Advance();
  std::optional<CompileError> LexNumber(size_t start);
  std::optional<CompileError> LexOperator(size_t start);
  std::optional<CompileError> Emit(Op op, uint16_t slot = 0, double value = 0);
  // REQUIRES: IsComparison(t).
  static Op ComparisonOp(Tok t);
  // The text of the operand that starts at offset, for messages.
  std::string_view Excerpt(size_t offset) const;

  static Parsed Error(size_t offset, std::string message) {
    return Parsed{Type::kNumber, CompileError{offset, std::move(message)}};
  }

  std::string_view text_;
  Condition* out_;
  size_t pos_ = 0;          // where the lexer reads next
  Token tok_;               // the current token
  size_t depth_ = 0;        // parse nesting, bounded by kConditionNestingMax
  size_t stack_depth_ = 0;  // the evaluation stack after the code so far
};

namespace {

// Two-character operators first, so "<=" is not read as "<" then "=".
struct OperatorSpelling {
  std::string_view text;
  Tok kind;
};
constexpr OperatorSpelling kOperators[] = {
    {"<=", Tok::kLe},  {">=", Tok::kGe},   {"==", Tok::kEq},    {"!=", Tok::kNe},
    {"<", Tok::kLt},   {">", Tok::kGt},    {"(", Tok::kLParen}, {")", Tok::kRParen},
    {"+", Tok::kPlus}, {"-", Tok::kMinus}, {"*", Tok::kStar},   {"/", Tok::kSlash},
};

std::optional<Tok> Keyword(std::string_view word) {
  if (word == "and") return Tok::kAnd;
  if (word == "or") return Tok::kOr;
  if (word == "not") return Tok::kNot;
  if (word == "true") return Tok::kTrue;
  if (word == "false") return Tok::kFalse;
  return std::nullopt;
}

bool IsComparison(Tok t) {
  return t == Tok::kLt || t == Tok::kLe || t == Tok::kGt || t == Tok::kGe || t == Tok::kEq ||
         t == Tok::kNe;
}

}  // namespace

std::optional<CompileError> ConditionParser::Parse() {
  if (text_.size() > kConditionBytesMax) {
    return CompileError{0, fmt::format("condition longer than {} bytes", kConditionBytesMax)};
  }
  if (auto e = Advance()) return e;
  if (tok_.kind == Tok::kEnd) return CompileError{0, "empty condition"};
  const size_t start = tok_.offset;
  Parsed p = ParseOr();
  if (p.error) return p.error;
  if (tok_.kind != Tok::kEnd) {
    return CompileError{tok_.offset, fmt::format("unexpected \"{}\"", tok_.text)};
  }
  if (p.type != Type::kBool) {
    return CompileError{start,
                        "the condition is a number, not true or false; compare it "
                        "(for example \"amount > 100000\")"};
  }
  NETFIN_ASSERT(stack_depth_ == 1);
  return std::nullopt;
}

std::optional<CompileError> ConditionParser::Advance() {
  while (pos_ < text_.size() && IsSpace(text_[pos_])) ++pos_;
  const size_t start = pos_;
  if (pos_ == text_.size()) {
    tok_ = Token{Tok::kEnd, start, "end of condition", 0};
    return std::nullopt;
  }
  const char c = text_[pos_];
  if (IsDigit(c) || (c == '.' && pos_ + 1 < text_.size() && IsDigit(text_[pos_ + 1]))) {
    return LexNumber(start);
  }
  if (IsNameStart(c)) {
    while (pos_ < text_.size() && IsNameChar(text_[pos_])) ++pos_;
    const std::string_view word = text_.substr(start, pos_ - start);
    tok_ = Token{Keyword(word).value_or(Tok::kName), start, word, 0};
    return std::nullopt;
  }
  return LexOperator(start);
}

std::optional<CompileError> ConditionParser::LexNumber(size_t start) {
  // Digits, '_' between digits, one '.', an exponent; then from_chars on the
  // digits without the '_'.
  std::string digits;
  bool seen_dot = false;
  bool seen_exponent = false;
  while (pos_ < text_.size()) {
    const char c = text_[pos_];
    if (IsDigit(c)) {
      digits += c;
    } else if (c == '_' && pos_ > start && IsDigit(text_[pos_ - 1]) && pos_ + 1 < text_.size() &&
               IsDigit(text_[pos_ + 1])) {
      // a separator between digits
    } else if (c == '.' && !seen_dot && !seen_exponent) {
      seen_dot = true;
      digits += c;
    } else if ((c == 'e' || c == 'E') && !seen_exponent) {
      seen_exponent = true;
      digits += c;
      if (pos_ + 1 < text_.size() && (text_[pos_ + 1] == '+' || text_[pos_ + 1] == '-')) {
        digits += text_[++pos_];
      }
    } else {
      break;
    }
    ++pos_;
  }
  if (pos_ < text_.size() && (IsNameChar(text_[pos_]) || text_[pos_] == '.')) {
    return CompileError{start, fmt::format("malformed number \"{}\"", Excerpt(start))};
  }
  double value = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || end != digits.data() + digits.size() || !std::isfinite(value)) {
    return CompileError{start, fmt::format("malformed number \"{}\"", Excerpt(start))};
  }
  tok_ = Token{Tok::kNumber, start, text_.substr(start, pos_ - start), value};
  return std::nullopt;
}

std::optional<CompileError> ConditionParser::LexOperator(size_t start) {
  const std::string_view rest = text_.substr(start);
  for (const OperatorSpelling& op : kOperators) {
    if (rest.starts_with(op.text)) {
      pos_ += op.text.size();
      tok_ = Token{op.kind, start, op.text, 0};
      return std::nullopt;
    }
  }
  if (rest.starts_with("=")) return CompileError{start, "\"=\" is not an operator; use \"==\""};
  if (rest.starts_with("&&") || rest.starts_with("||") || rest.starts_with("!")) {
    return CompileError{start, "use \"and\", \"or\" and \"not\""};
  }
  const unsigned char c = static_cast<unsigned char>(text_[start]);
  if (c >= 0x20 && c < 0x7f) {
    return CompileError{start, fmt::format("unexpected character '{}'", text_[start])};
  }
  return CompileError{start, fmt::format("unexpected byte 0x{:02x}", c)};
}

std::optional<CompileError> ConditionParser::Emit(Op op, uint16_t slot, double value) {
  if (out_->code_.size() == kConditionInstructionsMax) {
    return CompileError{
        tok_.offset, fmt::format("condition longer than {} operations", kConditionInstructionsMax)};
  }
  switch (op) {
    case Op::kConst:
    case Op::kLoad:
    case Op::kModelScore:
      ++stack_depth_;
      break;
    case Op::kNeg:
    case Op::kNot:
      break;
    case Op::kAdd:
    case Op::kSub:
    case Op::kMul:
    case Op::kDiv:
    case Op::kLt:
    case Op::kLe:
    case Op::kGt:
    case Op::kGe:
    case Op::kEq:
    case Op::kNe:
    case Op::kAnd:
    case Op::kOr:
      NETFIN_ASSERT(stack_depth_ >= 2);
      --stack_depth_;
      break;
  }
  if (stack_depth_ > kConditionStackMax) {
    return CompileError{tok_.offset, "condition nested too deeply"};
  }
  out_->code_.push_back(Condition::Instruction{op, slot, value});
  return std::nullopt;
}

std::string_view ConditionParser::Excerpt(size_t offset) const {
  size_t end = offset;
  while (end < text_.size() && !IsSpace(text_[end]) && text_[end] != ')') ++end;
  return text_.substr(offset, end - offset);
}

std::optional<CompileError> ConditionParser::NeedCondition(const Parsed& p, size_t start,
                                                           std::string_view op) const {
  if (p.type == Type::kBool) return std::nullopt;
  return CompileError{start, fmt::format("\"{}\" needs conditions, and \"{}\" is a number; "
                                         "compare it (for example \"{} > 0\")",
                                         op, Excerpt(start), Excerpt(start))};
}

ConditionParser::Parsed ConditionParser::ParseLogical(Tok op_tok, Op op, std::string_view op_name,
                                                      Parsed (ConditionParser::*operand)()) {
  size_t start = tok_.offset;
  Parsed left = (this->*operand)();
  if (left.error || tok_.kind != op_tok) return left;
  if (auto e = NeedCondition(left, start, op_name)) return {Type::kBool, e};
  while (tok_.kind == op_tok) {
    if (auto e = Advance()) return {Type::kBool, e};
    start = tok_.offset;
    const Parsed right = (this->*operand)();
    if (right.error) return right;
    if (auto e = NeedCondition(right, start, op_name)) return {Type::kBool, e};
    if (auto e = Emit(op)) return {Type::kBool, e};
  }
  return Parsed{Type::kBool, std::nullopt};
}

ConditionParser::Parsed ConditionParser::ParseOr() {
  return ParseLogical(Tok::kOr, Op::kOr, "or", &ConditionParser::ParseAnd);
}

ConditionParser::Parsed ConditionParser::ParseAnd() {
  return ParseLogical(Tok::kAnd, Op::kAnd, "and", &ConditionParser::ParseNot);
}

ConditionParser::Parsed ConditionParser::ParseNot() {
  if (tok_.kind != Tok::kNot) return ParseComparison();
  if (++depth_ > kConditionNestingMax) return Error(tok_.offset, "condition nested too deeply");
  if (auto e = Advance()) return {Type::kBool, e};
  const size_t start = tok_.offset;
  const Parsed operand = ParseNot();
  if (operand.error) return operand;
  if (auto e = NeedCondition(operand, start, "not")) return {Type::kBool, e};
  --depth_;
  if (auto e = Emit(Op::kNot)) return {Type::kBool, e};
  return Parsed{Type::kBool, std::nullopt};
}

ConditionParser::Parsed ConditionParser::ParseComparison() {
  Parsed left = ParseSum();
  if (left.error || !IsComparison(tok_.kind)) return left;
  const Op code = ComparisonOp(tok_.kind);
  if (auto e = Advance()) return {Type::kBool, e};
  Parsed right = ParseSum();
  if (right.error) return right;
  if (IsComparison(tok_.kind)) {
    return Error(tok_.offset, "comparisons do not chain; write \"a < x and x < b\"");
  }
  if (auto e = Emit(code)) return {Type::kBool, e};
  return Parsed{Type::kBool, std::nullopt};
}

Condition::Op ConditionParser::ComparisonOp(Tok t) {
  NETFIN_ASSERT(IsComparison(t));
  if (t == Tok::kLt) return Op::kLt;
  if (t == Tok::kLe) return Op::kLe;
  if (t == Tok::kGt) return Op::kGt;
  if (t == Tok::kGe) return Op::kGe;
  if (t == Tok::kEq) return Op::kEq;
  return Op::kNe;
}

ConditionParser::Parsed ConditionParser::ParseArithmetic(Operator first, Operator second,
                                                         Parsed (ConditionParser::*operand)()) {
  Parsed left = (this->*operand)();
  if (left.error) return left;
  while (tok_.kind == first.tok || tok_.kind == second.tok) {
    const Op code = tok_.kind == first.tok ? first.op : second.op;
    if (auto e = Advance()) return {Type::kNumber, e};
    const Parsed right = (this->*operand)();
    if (right.error) return right;
    if (auto e = Emit(code)) return {Type::kNumber, e};
    left.type = Type::kNumber;
  }
  return left;
}

ConditionParser::Parsed ConditionParser::ParseSum() {
  return ParseArithmetic({Tok::kPlus, Op::kAdd}, {Tok::kMinus, Op::kSub},
                         &ConditionParser::ParseProduct);
}

ConditionParser::Parsed ConditionParser::ParseProduct() {
  return ParseArithmetic({Tok::kStar, Op::kMul}, {Tok::kSlash, Op::kDiv},
                         &ConditionParser::ParseUnary);
}

ConditionParser::Parsed ConditionParser::ParseUnary() {
  if (tok_.kind != Tok::kMinus) return ParsePrimary();
  if (++depth_ > kConditionNestingMax) return Error(tok_.offset, "condition nested too deeply");
  if (auto e = Advance()) return {Type::kNumber, e};
  Parsed operand = ParseUnary();
  if (operand.error) return operand;
  --depth_;
  if (auto e = Emit(Op::kNeg)) return {Type::kNumber, e};
  return Parsed{Type::kNumber, std::nullopt};
}

ConditionParser::Parsed ConditionParser::ParsePrimary() {
  const Token t = tok_;
  switch (t.kind) {
    case Tok::kNumber:
    case Tok::kTrue:
    case Tok::kFalse: {
      const double value = t.kind == Tok::kNumber ? t.number : (t.kind == Tok::kTrue ? 1 : 0);
      if (auto e = Emit(Op::kConst, 0, value)) return {Type::kNumber, e};
      if (auto e = Advance()) return {Type::kNumber, e};
      return Parsed{t.kind == Tok::kNumber ? Type::kNumber : Type::kBool, std::nullopt};
    }
    case Tok::kName:
      return ParseName();
    case Tok::kLParen:
      return ParseParenthesized();
    case Tok::kEnd:
      return Error(t.offset, "the condition ends where a value was expected");
    case Tok::kAnd:
    case Tok::kOr:
    case Tok::kNot:
    case Tok::kRParen:
    case Tok::kPlus:
    case Tok::kMinus:
    case Tok::kStar:
    case Tok::kSlash:
    case Tok::kLt:
    case Tok::kLe:
    case Tok::kGt:
    case Tok::kGe:
    case Tok::kEq:
    case Tok::kNe:
      break;
  }
  return Error(t.offset, fmt::format("expected a value, found \"{}\"", t.text));
}

ConditionParser::Parsed ConditionParser::ParseName() {
  const Token t = tok_;
  Type type = Type::kNumber;
  if (t.text == kModelScoreName) {
    if (auto e = Emit(Op::kModelScore)) return {type, e};
  } else if (const std::optional<Feature> f = FindFeature(t.text)) {
    const FeatureInfo& info = kFeatures[static_cast<size_t>(*f)];
    type = info.type == FeatureType::kFlag ? Type::kBool : Type::kNumber;
    if (auto e = Emit(Op::kLoad, static_cast<uint16_t>(*f))) return {type, e};
  } else {
    return Error(t.offset, fmt::format("unknown feature \"{}\"", t.text));
  }
  if (auto e = Advance()) return {type, e};
  return Parsed{type, std::nullopt};
}

ConditionParser::Parsed ConditionParser::ParseParenthesized() {
  const size_t open = tok_.offset;
  if (++depth_ > kConditionNestingMax) return Error(open, "condition nested too deeply");
  if (auto e = Advance()) return {Type::kNumber, e};
  // Inside parentheses anything goes: a condition or a number.
  Parsed inner = ParseOr();
  if (inner.error) return inner;
  if (tok_.kind != Tok::kRParen) {
    return Error(tok_.offset, fmt::format("expected \")\" to close the \"(\" at column {}, found "
                                          "\"{}\"",
                                          open + 1, tok_.text));
  }
  --depth_;
  if (auto e = Advance()) return {inner.type, e};
  return inner;
}

core::Result<Condition> Condition::Compile(std::string_view text, size_t* error_offset) {
  Condition condition;
  ConditionParser parser(text, &condition);
  if (std::optional<CompileError> error = parser.Parse()) {
    *error_offset = error->offset;
    return core::InvalidArgument(std::move(error->message));
  }
  NETFIN_ASSERT(!condition.code_.empty());
  return condition;
}

namespace {

// A condition's value as true or false: anything but 0 and NaN is true. The
// compiler only lets comparisons, flags and constants reach here, so in
// practice the value is 0 or 1.
bool Truth(double v) { return v < 0 || v > 0; }

}  // namespace

bool Condition::Evaluate(std::span<const double> features, double model_score) const {
  NETFIN_ASSERT(features.size() == kFeatureCount);
  NETFIN_ASSERT(!code_.empty());
  std::array<double, kConditionStackMax> stack;
  size_t top = 0;  // entries in use
  for (const Instruction& in : code_) {
    switch (in.op) {
      case Op::kConst:
        stack[top++] = in.value;
        continue;
      case Op::kLoad:
        stack[top++] = features[in.slot];
        continue;
      case Op::kModelScore:
        stack[top++] = model_score;
        continue;
      case Op::kNeg:
        stack[top - 1] = -stack[top - 1];
        continue;
      case Op::kNot:
        stack[top - 1] = Truth(stack[top - 1]) ? 0 : 1;
        continue;
      case Op::kAdd:
      case Op::kSub:
      case Op::kMul:
      case Op::kDiv:
      case Op::kLt:
      case Op::kLe:
      case Op::kGt:
      case Op::kGe:
      case Op::kEq:
      case Op::kNe:
      case Op::kAnd:
      case Op::kOr:
        break;
    }
    const double b = stack[--top];
    const double a = stack[top - 1];
    double r = 0;
    switch (in.op) {
      case Op::kAdd:
        r = a + b;
        break;
      case Op::kSub:
        r = a - b;
        break;
      case Op::kMul:
        r = a * b;
        break;
      case Op::kDiv:
        r = a / b;
        break;
      case Op::kLt:
        r = a < b;
        break;
      case Op::kLe:
        r = a <= b;
        break;
      case Op::kGt:
        r = a > b;
        break;
      case Op::kGe:
        r = a >= b;
        break;
      case Op::kEq:
        r = a == b;
        break;
      case Op::kNe:
        r = a < b || a > b;
        break;  // false with NaN, like every comparison
      case Op::kAnd:
        r = Truth(a) && Truth(b);
        break;
      case Op::kOr:
        r = Truth(a) || Truth(b);
        break;
      case Op::kConst:
      case Op::kLoad:
      case Op::kModelScore:
      case Op::kNeg:
      case Op::kNot:
        NETFIN_ASSERT(false);
    }
    stack[top - 1] = r;
  }
  NETFIN_ASSERT(top == 1);
  return Truth(stack[0]);
}

}  // namespace netfin::risk
