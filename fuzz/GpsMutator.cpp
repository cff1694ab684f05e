//===- GpsMutator.cpp - a grammar-aware mutator for .gps files ------------===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//
//
// libFuzzer's custom mutator for the front-end target. Byte mutation alone
// rarely keeps a .gps file past the parser; this one edits the structure a
// user edits: it swaps, deletes, duplicates and moves declarations (the
// lines of one item of the model body), lines (statements) and tokens, and
// replaces tokens with others of the file or with keywords, names of the
// language and boundary numbers. A quarter of the time it calls
// LLVMFuzzerMutate instead (libFuzzer's byte mutations, with -dict words).
// The crossover splices a declaration or line of one input into another.
//
//===----------------------------------------------------------------------===//

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

extern "C" size_t LLVMFuzzerMutate(uint8_t *data, size_t size,
                                   size_t maxSize);

namespace {
using Rng = std::minstd_rand;

/// Words of the language and numbers at the edges of what Sema accepts.
const char *const kWords[] = {
    "model", "data", "mask", "steps", "net", "param", "primary", "guide", "impute",
    "objective", "for", "in", "on", "image", "peephole", "real", "bits",
    "gauss", "mlp", "affine", "lstm", "relu", "tanh", "sigmoid", "softplus",
    "exp", "log", "zeros", "ones", "normal", "glorot", "mar", "mcar",
    "known", "missing", "concat", "fill", "bernoulli", "logits", "kl", "nll",
    "lstm_states", "x", "m", "p", "q", "z", "t", "T", "h", "c", "s",
    "x.known", "x.missing", "z[t]", "1..T", "T..1", "0..T", "1..1", "x",
    "0", "1", "2", "3", "-1", "0.5", "0.0", "1e-3", "1e38", "1e39", "1e-45",
    "784", "28x28", "4294967295", "4294967296", "2147483648", "65536",
    "{", "}", "(", ")", "[", "]", ",", ":", "=", "~", "+", "-", "*", "/",
    ".", "..", "->", "||", "\n", "//", "/*", "*/", "\"",
};

bool isIdent(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         (c >= '0' && c <= '9');
}

/// Splits `text` into tokens, whitespace runs and comments; concatenating
/// the pieces gives `text` back.
std::vector<std::string> lex(const std::string &text) {
  std::vector<std::string> pieces;
  size_t i = 0, n = text.size();
  while (i < n) {
    size_t start = i;
    char c = text[i];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      while (i < n && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' ||
                       text[i] == '\n'))
        ++i;
    } else if (text.compare(i, 2, "//") == 0) {
      while (i < n && text[i] != '\n')
        ++i;
    } else if (c >= '0' && c <= '9') {
      while (i < n && (isIdent(text[i]) ||
                       (text[i] == '.' && i + 1 < n && text[i + 1] != '.') ||
                       ((text[i] == '-' || text[i] == '+') &&
                        (text[i - 1] == 'e' || text[i - 1] == 'E'))))
        ++i;
    } else if (isIdent(c)) {
      while (i < n && isIdent(text[i]))
        ++i;
    } else if (text.compare(i, 2, "..") == 0 || text.compare(i, 2, "->") == 0 ||
               text.compare(i, 2, "||") == 0) {
      i += 2;
    } else {
      ++i;
    }
    pieces.push_back(text.substr(start, i - start));
  }
  return pieces;
}

bool isSpace(const std::string &piece) {
  return piece.find_first_not_of(" \t\r\n") == std::string::npos ||
         piece.compare(0, 2, "//") == 0;
}

std::vector<std::string> splitLines(const std::string &text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    end = end == std::string::npos ? text.size() : end + 1;
    lines.push_back(text.substr(start, end - start));
    start = end;
  }
  return lines;
}

template <typename T>
std::string join(const std::vector<T> &parts) {
  std::string out;
  for (const auto &p : parts)
    out += p;
  return out;
}

/// Groups lines into units: a declaration is a line that starts at brace
/// depth 1 (in the model body) with the lines up to the next such line; the
/// text before the first declaration and the model's closing brace onwards
/// are units too. Returns the units; `decls` gets the declarations' indices.
std::vector<std::string> splitDecls(const std::string &text,
                                    std::vector<size_t> &decls) {
  std::vector<std::string> units;
  int depth = 0;
  for (const std::string &line : splitLines(text)) {
    size_t first = line.find_first_not_of(" \t\r\n");
    bool blank = first == std::string::npos;
    bool startsDecl = depth == 1 && !blank && line[first] != '}' &&
                      line.compare(first, 2, "//") != 0;
    bool closesModel = depth == 1 && !blank && line[first] == '}';
    if (startsDecl)
      decls.push_back(units.size());
    if (startsDecl || closesModel || units.empty())
      units.push_back(line);
    else
      units.back() += line;
    for (char c : line) {
      if (c == '{')
        ++depth;
      else if (c == '}')
        --depth;
    }
  }
  return units;
}

size_t pick(Rng &rng, size_t n) { return n ? rng() % n : 0; }

/// Swap, delete, duplicate or move one of `items` (indices `which` into
/// `units`); false when there is nothing to do.
template <typename T>
bool editUnits(std::vector<T> &units, const std::vector<size_t> &which,
               Rng &rng) {
  if (which.empty())
    return false;
  size_t a = which[pick(rng, which.size())];
  size_t b = which[pick(rng, which.size())];
  switch (rng() % 4) {
  case 0: // swap
    if (a == b)
      return false;
    std::swap(units[a], units[b]);
    return true;
  case 1: // delete
    units.erase(units.begin() + a);
    return true;
  case 2: // duplicate (before b)
    units.insert(units.begin() + b, T(units[a]));
    return true;
  default: { // move to before b
    if (a == b)
      return false;
    T unit = units[a];
    units.erase(units.begin() + a);
    units.insert(units.begin() + (b > a ? b - 1 : b), unit);
    return true;
  }
  }
}

bool mutateDecls(std::string &text, Rng &rng) {
  std::vector<size_t> decls;
  std::vector<std::string> units = splitDecls(text, decls);
  if (!editUnits(units, decls, rng))
    return false;
  text = join(units);
  return true;
}

bool mutateLines(std::string &text, Rng &rng) {
  std::vector<std::string> lines = splitLines(text);
  std::vector<size_t> all(lines.size());
  for (size_t i = 0; i < all.size(); ++i)
    all[i] = i;
  if (!editUnits(lines, all, rng))
    return false;
  text = join(lines);
  return true;
}

enum class TokenClass { Name, Number, Punct };

TokenClass classify(const std::string &token) {
  if (token[0] >= '0' && token[0] <= '9')
    return TokenClass::Number;
  if (isIdent(token[0]))
    return TokenClass::Name;
  return TokenClass::Punct;
}

/// A word of `kWords` of the class `want`, or any word.
std::string pickWord(Rng &rng, const TokenClass *want) {
  size_t numWords = sizeof(kWords) / sizeof(kWords[0]);
  for (int tries = 0; tries < 16; ++tries) {
    std::string word = kWords[pick(rng, numWords)];
    if (!want || (!isSpace(word) && classify(word) == *want))
      return word;
  }
  return kWords[pick(rng, numWords)];
}

bool mutateTokens(std::string &text, Rng &rng) {
  std::vector<std::string> pieces = lex(text);
  std::vector<size_t> tokens;
  for (size_t i = 0; i < pieces.size(); ++i)
    if (!isSpace(pieces[i]))
      tokens.push_back(i);
  if (tokens.empty())
    return false;
  size_t at = tokens[pick(rng, tokens.size())];
  TokenClass cls = classify(pieces[at]);
  unsigned choice = rng() % 8;
  if (choice < 3) {
    // A name, number or punctuation for another of its kind, from the file
    // or the language: the likeliest edits to keep the program legal.
    std::vector<size_t> same;
    for (size_t i : tokens)
      if (classify(pieces[i]) == cls && pieces[i] != pieces[at])
        same.push_back(i);
    if (!same.empty() && rng() % 2)
      pieces[at] = std::string(pieces[same[pick(rng, same.size())]]);
    else
      pieces[at] = pickWord(rng, &cls);
  } else if (choice < 5) {
    // Swap, delete, duplicate or move a token.
    if (!editUnits(pieces, tokens, rng))
      return false;
  } else if (choice < 6) {
    // Any word of the language in place of a token.
    pieces[at] = pickWord(rng, nullptr);
  } else {
    // Insert a word of the language.
    pieces.insert(pieces.begin() + pick(rng, pieces.size() + 1),
                  " " + pickWord(rng, nullptr) + " ");
  }
  text = join(pieces);
  return true;
}

size_t finish(const std::string &text, uint8_t *data, size_t maxSize) {
  size_t n = std::min(text.size(), maxSize);
  std::memcpy(data, text.data(), n);
  return n;
}
} // namespace

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size,
                                          size_t maxSize, unsigned seed) {
  Rng rng(seed);
  if (rng() % 4 == 0)
    return LLVMFuzzerMutate(data, size, maxSize);
  std::string text(reinterpret_cast<const char *>(data), size);
  bool changed = false;
  // One edit most of the time: libFuzzer stacks mutations itself.
  unsigned edits = rng() % 4 == 0 ? 2 : 1;
  for (unsigned i = 0; i < edits; ++i) {
    switch (rng() % 3) {
    case 0:
      changed |= mutateDecls(text, rng);
      break;
    case 1:
      changed |= mutateLines(text, rng);
      break;
    default:
      changed |= mutateTokens(text, rng);
      break;
    }
  }
  if (!changed || text.size() > maxSize)
    return LLVMFuzzerMutate(data, size, maxSize);
  return finish(text, data, maxSize);
}

extern "C" size_t LLVMFuzzerCustomCrossOver(const uint8_t *data1,
                                            size_t size1,
                                            const uint8_t *data2,
                                            size_t size2, uint8_t *out,
                                            size_t maxOutSize,
                                            unsigned seed) {
  Rng rng(seed);
  std::string into(reinterpret_cast<const char *>(data1), size1);
  std::string from(reinterpret_cast<const char *>(data2), size2);
  // A declaration of `from` into the model body of `into`, else a line.
  std::vector<size_t> intoDecls, fromDecls;
  std::vector<std::string> units = splitDecls(into, intoDecls);
  std::vector<std::string> donors = splitDecls(from, fromDecls);
  if (!intoDecls.empty() && !fromDecls.empty() && rng() % 2) {
    size_t at = intoDecls[pick(rng, intoDecls.size())];
    units.insert(units.begin() + at, donors[fromDecls[pick(rng, fromDecls.size())]]);
    return finish(join(units), out, maxOutSize);
  }
  std::vector<std::string> lines = splitLines(into);
  std::vector<std::string> fromLines = splitLines(from);
  if (fromLines.empty())
    return finish(into, out, maxOutSize);
  lines.insert(lines.begin() + pick(rng, lines.size() + 1),
               fromLines[pick(rng, fromLines.size())]);
  return finish(join(lines), out, maxOutSize);
}
