// einsum: parses the equation into one label per operand dim, takes diagonals for labels
// repeated within an operand, then contracts operands left to right, each pair as one bmm
// (labels shared and still needed later are the batch, shared and no longer needed are
// summed by the product, the rest are rows / columns). A label that only one operand has
// and nothing later needs is summed before its product. Every step is a differentiable op.
#include <algorithm>
#include <string>

#include "core/shape.h"
#include "nativedl/nativedl.h"

namespace nd {

namespace {

// Labels: 'A'-'Z' are 0-25 and 'a'-'z' 26-51 (the implicit output sorts them so, like
// PyTorch); the dims covered by "..." get 52, 53, ... right-aligned across operands.
constexpr int kLetters = 52;

int letter_label(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return 26 + (c - 'a');
  return -1;
}

char label_char(int l) { return l < 26 ? char('A' + l) : l < kLetters ? char('a' + l - 26) : '.'; }

// One subscript term: its letters, with the position of "..." (-1 when absent).
struct Term {
  std::vector<int> letters;
  int ellipsis_at = -1;
};

Term parse_term(const std::string& eq, const std::string& s) {
  Term t;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '.') {
      ND_CHECK(s.compare(i, 3, "...") == 0 && t.ellipsis_at < 0, ValueError,
               "[einsum] invalid ellipsis in '", s, "' of equation '", eq, "' (use one '...' per operand)");
      t.ellipsis_at = int(t.letters.size());
      i += 2;
      continue;
    }
    const int l = letter_label(s[i]);
    ND_CHECK(l >= 0, ValueError, "[einsum] invalid subscript '", s[i], "' in equation '", eq,
             "' (subscripts are letters a-z, A-Z)");
    t.letters.push_back(l);
  }
  return t;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts(1);
  for (char c : s) {
    if (c == sep) parts.emplace_back();
    else parts.back() += c;
  }
  return parts;
}

bool contains(const std::vector<int>& v, int x) { return std::find(v.begin(), v.end(), x) != v.end(); }

// An operand during contraction: its tensor and one label per dim.
struct Operand {
  Tensor t;
  std::vector<int> labels;
};

// Sums away the dims whose labels are not in `keep`.
Operand sum_unneeded(Operand x, const std::vector<int>& keep) {
  std::vector<int64_t> dims;
  std::vector<int> kept;
  for (size_t d = 0; d < x.labels.size(); ++d) {
    if (contains(keep, x.labels[d])) kept.push_back(x.labels[d]);
    else dims.push_back(int64_t(d));
  }
  if (dims.empty()) return x;
  return {sum(x.t, dims), kept};
}

// Replaces each label repeated within x by its diagonal (one dim, at the end); the
// repeated dims' sizes were checked equal.
Operand take_diagonals(Operand x) {
  for (size_t i = 0; i < x.labels.size(); ++i) {
    for (size_t j = i + 1; j < x.labels.size(); ++j) {
      if (x.labels[i] != x.labels[j]) continue;
      const int l = x.labels[i];
      x.t = diagonal(x.t, 0, int64_t(i), int64_t(j));
      x.labels.erase(x.labels.begin() + int64_t(j));
      x.labels.erase(x.labels.begin() + int64_t(i));
      x.labels.push_back(l);
      return take_diagonals(x);
    }
  }
  return x;
}

// x permuted to `order` (labels x has), with dims expanded to `sizes` and flattened into
// groups of the given lengths.
Tensor arrange(const Operand& x, const std::vector<int>& order, const std::vector<int64_t>& sizes,
               const std::vector<size_t>& groups) {
  std::vector<int64_t> perm;
  for (int l : order) perm.push_back(int64_t(std::find(x.labels.begin(), x.labels.end(), l) - x.labels.begin()));
  const Tensor p = expand(permute(x.t, perm), Shape(sizes.begin(), sizes.end()));
  Shape flat;
  size_t at = 0;
  for (size_t g : groups) {
    int64_t n = 1;
    for (size_t i = 0; i < g; ++i) n *= sizes[at + i];
    flat.push_back(n);
    at += g;
  }
  return reshape(p, flat);
}

// The product of a and b summed over their shared labels not in `needed`.
Operand contract(const Operand& a, const Operand& b, const std::vector<int>& needed) {
  std::vector<int> batch, left, sum_l, right;
  for (int l : a.labels) {
    if (!contains(b.labels, l)) left.push_back(l);
    else if (contains(needed, l)) batch.push_back(l);
    else sum_l.push_back(l);
  }
  for (int l : b.labels) if (!contains(a.labels, l)) right.push_back(l);
  // Each label's size in the product: its two sizes broadcast (equal, or one of them is 1).
  auto size_in = [](const Operand& x, int l) {
    const auto it = std::find(x.labels.begin(), x.labels.end(), l);
    return it == x.labels.end() ? int64_t(1) : x.t.size(int64_t(it - x.labels.begin()));
  };
  auto sizes = [&](std::initializer_list<const std::vector<int>*> groups) {
    std::vector<int64_t> s;
    for (const auto* g : groups)
      for (int l : *g) s.push_back(size_in(a, l) == 1 ? size_in(b, l) : size_in(a, l));
    return s;
  };
  std::vector<int> a_order = batch, b_order = batch;
  a_order.insert(a_order.end(), left.begin(), left.end());
  a_order.insert(a_order.end(), sum_l.begin(), sum_l.end());
  b_order.insert(b_order.end(), sum_l.begin(), sum_l.end());
  b_order.insert(b_order.end(), right.begin(), right.end());
  const std::vector<int64_t> as = sizes({&batch, &left, &sum_l}), bs = sizes({&batch, &sum_l, &right});
  const Tensor am = arrange(a, a_order, as, {batch.size(), left.size(), sum_l.size()});
  const Tensor bm = arrange(b, b_order, bs, {batch.size(), sum_l.size(), right.size()});
  Shape out_shape(as.begin(), as.begin() + int64_t(batch.size() + left.size()));
  out_shape.insert(out_shape.end(), bs.end() - int64_t(right.size()), bs.end());
  std::vector<int> labels = batch;
  labels.insert(labels.end(), left.begin(), left.end());
  labels.insert(labels.end(), right.begin(), right.end());
  return {reshape(bmm(am, bm), out_shape), labels};
}

}  // namespace

Tensor einsum(const std::string& equation_in, const std::vector<Tensor>& operands) {
  std::string eq;
  for (char c : equation_in) if (c != ' ') eq += c;
  const size_t arrow = eq.find("->");
  ND_CHECK(arrow == std::string::npos || eq.find("->", arrow + 2) == std::string::npos, ValueError,
           "[einsum] equation '", equation_in, "' has more than one '->'");
  const std::vector<std::string> lhs = split(eq.substr(0, arrow), ',');
  ND_CHECK(lhs.size() == operands.size(), ValueError, "[einsum] equation '", equation_in, "' has ", lhs.size(),
           " operand subscripts but ", operands.size(), " operands were given");
  for (size_t i = 1; i < operands.size(); ++i)
    ND_CHECK(operands[i].dtype() == operands[0].dtype(), TypeError, "[einsum] operands must have the same dtype, got ",
             dtype_name(operands[0].dtype()), " for operand 0 and ", dtype_name(operands[i].dtype()), " for operand ", i);

  // Labels per operand dim, with "..." expanded right-aligned.
  std::vector<Term> terms;
  int64_t ell_dims = 0;
  for (size_t i = 0; i < lhs.size(); ++i) {
    terms.push_back(parse_term(equation_in, lhs[i]));
    const int64_t named = int64_t(terms[i].letters.size()), ndim = operands[i].dim();
    const bool ell = terms[i].ellipsis_at >= 0;
    ND_CHECK(ell ? named <= ndim : named == ndim, ValueError, "[einsum] operand ", i, " has ", ndim,
             " dims (shape ", shape_str(operands[i].shape()), ") but its subscripts '", lhs[i], "' name ", named);
    if (ell) ell_dims = std::max(ell_dims, ndim - named);
  }
  std::vector<Operand> ops;
  std::vector<int64_t> size_of(size_t(kLetters + ell_dims), 1);
  std::vector<int> count(size_t(kLetters), 0);
  for (size_t i = 0; i < terms.size(); ++i) {
    Operand x{operands[i], {}};
    const int64_t here = operands[i].dim() - int64_t(terms[i].letters.size());
    for (size_t j = 0; j < terms[i].letters.size(); ++j) {
      if (int(j) == terms[i].ellipsis_at)
        for (int64_t e = 0; e < here; ++e) x.labels.push_back(int(kLetters + ell_dims - here + e));
      x.labels.push_back(terms[i].letters[j]);
      ++count[size_t(terms[i].letters[j])];
    }
    if (terms[i].ellipsis_at == int(terms[i].letters.size()))
      for (int64_t e = 0; e < here; ++e) x.labels.push_back(int(kLetters + ell_dims - here + e));
    // Sizes of one label must match across operands, or be 1 (broadcast).
    for (size_t d = 0; d < x.labels.size(); ++d) {
      const auto first = std::find(x.labels.begin(), x.labels.end(), x.labels[d]) - x.labels.begin();
      ND_CHECK(x.t.size(first) == x.t.size(int64_t(d)), ValueError, "[einsum] subscript '", label_char(x.labels[d]),
               "' is repeated for operand ", i, " of shape ", shape_str(x.t.shape()), " but the sizes don't match, ",
               x.t.size(first), " != ", x.t.size(int64_t(d)));
      int64_t& s = size_of[size_t(x.labels[d])];
      const int64_t here_size = x.t.size(int64_t(d));
      ND_CHECK(s == 1 || here_size == 1 || s == here_size, ValueError, "[einsum] subscript '", label_char(x.labels[d]),
               "' has size ", here_size, " in operand ", i, " of shape ", shape_str(x.t.shape()),
               ", which does not broadcast with size ", s, " in an earlier operand");
      if (here_size != 1) s = here_size;
    }
    ops.push_back(take_diagonals(x));
  }

  // Output labels: given after '->', else the broadcast dims then letters used once, sorted.
  std::vector<int> out;
  if (arrow != std::string::npos) {
    const Term t = parse_term(equation_in, eq.substr(arrow + 2));
    for (size_t j = 0; j <= t.letters.size(); ++j) {
      if (int(j) == t.ellipsis_at)
        for (int64_t e = 0; e < ell_dims; ++e) out.push_back(int(kLetters + e));
      if (j == t.letters.size()) break;
      const int l = t.letters[j];
      ND_CHECK(count[size_t(l)] > 0, ValueError, "[einsum] output subscript '", label_char(l),
               "' does not appear in the inputs of equation '", equation_in, "'");
      ND_CHECK(!contains(out, l), ValueError, "[einsum] output subscript '", label_char(l),
               "' appears more than once in equation '", equation_in, "'");
      out.push_back(l);
    }
  } else {
    for (int64_t e = 0; e < ell_dims; ++e) out.push_back(int(kLetters + e));
    for (int l = 0; l < kLetters; ++l) if (count[size_t(l)] == 1) out.push_back(l);
  }

  // Contract left to right; `needed` holds the labels the output or later operands use.
  Operand acc = ops[0];
  for (size_t i = 1; i < ops.size(); ++i) {
    std::vector<int> needed = out;
    for (size_t j = i + 1; j < ops.size(); ++j) needed.insert(needed.end(), ops[j].labels.begin(), ops[j].labels.end());
    std::vector<int> keep_a = needed, keep_b = needed;
    keep_a.insert(keep_a.end(), ops[i].labels.begin(), ops[i].labels.end());
    keep_b.insert(keep_b.end(), acc.labels.begin(), acc.labels.end());
    acc = contract(sum_unneeded(acc, keep_a), sum_unneeded(ops[i], keep_b), needed);
  }
  acc = sum_unneeded(acc, out);
  std::vector<int64_t> perm;
  for (int l : out) perm.push_back(int64_t(std::find(acc.labels.begin(), acc.labels.end(), l) - acc.labels.begin()));
  return permute(acc.t, perm);
}

}  // namespace nd
