#include "sklearn/preprocessing/fitted_cells.h"

#include <cmath>
#include <utility>

#include "inferd/input_schema.h"
#include "sklearn/state.h"

namespace inferd::sklearn {

using pickle::Kind;
using pickle::Value;

namespace {

Cell NumberCell(double v) {
  Cell c;
  c.type = std::isnan(v) ? Cell::Type::kNan : Cell::Type::kNumber;
  c.value = v;
  return c;
}

Cell StringCell(std::string text) {
  Cell c;
  c.type = Cell::Type::kString;
  c.value = StringCode(text);
  c.text = std::move(text);
  return c;
}

Cell NoneCell() {
  Cell c;
  c.type = Cell::Type::kNone;
  c.value = kNoneCode;
  c.text = "None";
  return c;
}

}  // namespace

StatusOr<Cell> CellOf(const Value& e) {
  if (e.kind == Kind::kStr) return StringCell(e.s);
  if (e.is_none()) return NoneCell();
  if (e.kind == Kind::kBytes) return StringCell(e.s);
  // numpy.str_ / numpy.bytes_ scalars: object columns built from numpy string arrays hold them.
  if (e.kind == Kind::kArray && e.array != nullptr && e.array->ndim() == 0 && e.array->dtype != nullptr &&
      (e.array->dtype->kind == 'U' || e.array->dtype->kind == 'S')) {
    StatusOr<std::vector<std::string>> s = e.array->ToStrings();
    if (!s.ok() || s->size() != 1) return Status::InvalidArgument("unreadable numpy string scalar " + e.Describe());
    return StringCell(std::move((*s)[0]));
  }
  StatusOr<double> d = e.AsDouble();
  if (!d.ok()) return Status::InvalidArgument("expected a number, str or None, found " + e.Describe());
  return NumberCell(*d);
}

StatusOr<std::vector<Cell>> CellsOf(const Value& obj, const Value* a, const std::string& what) {
  if (a == nullptr || a->kind != Kind::kArray || a->array == nullptr || a->array->ndim() != 1 ||
      a->array->dtype == nullptr) {
    return StateError(obj, "'" + what + "' is not a 1-D array");
  }
  const pickle::NdArray& arr = *a->array;
  std::vector<Cell> out;
  const char k = arr.dtype->kind;
  if (k == 'U' || k == 'S') {
    StatusOr<std::vector<std::string>> s = arr.ToStrings();
    if (!s.ok()) return StateError(obj, "'" + what + "': " + s.status().message());
    for (std::string& t : *s) out.push_back(StringCell(std::move(t)));
    return out;
  }
  if (k == 'O') {
    if (arr.objects.size() != arr.size()) return StateError(obj, "'" + what + "': missing elements");
    for (const pickle::ValuePtr& e : arr.objects) {
      if (e == nullptr) return StateError(obj, "'" + what + "': missing element");
      StatusOr<Cell> c = CellOf(*e);
      if (!c.ok()) return StateError(obj, "'" + what + "': " + c.status().message());
      out.push_back(std::move(c).value());
    }
    return out;
  }
  INFERD_ASSIGN_OR_RETURN(DenseArray d, ToDense(obj, *a, what));
  for (double v : d.data) out.push_back(NumberCell(v));
  return out;
}

StatusOr<CategoryList> ReadCategoryList(const Value& obj, const Value* a, const std::string& what) {
  INFERD_ASSIGN_OR_RETURN(std::vector<Cell> cells, CellsOf(obj, a, what));
  std::vector<double> values;
  std::vector<std::string> texts;
  bool has_nan = false, strings = false, numbers = false;
  for (size_t j = 0; j < cells.size(); ++j) {
    Cell& e = cells[j];
    if (e.type == Cell::Type::kNan) {
      if (j + 1 != cells.size()) return StateError(obj, what + ": NaN must be the last category");
      has_nan = true;
      continue;
    }
    (e.is_string() ? strings : numbers) = true;
    values.push_back(e.value);
    texts.push_back(std::move(e.text));
  }
  if (strings && numbers) {
    return StateError(obj, what + " mixes strings (or None) and numbers; a column must hold one or the other");
  }
  if (!strings) texts.clear();
  StatusOr<CategoryList> cl = CategoryList::Create(std::move(values), std::move(texts), has_nan);
  if (!cl.ok()) return StateError(obj, what + ": " + cl.status().message());
  if (cl->size() == 0) return StateError(obj, what + " is empty");
  return std::move(cl).value();
}

}  // namespace inferd::sklearn
