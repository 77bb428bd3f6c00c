#include "sklearn/neural_network/neural_network_adapters.h"

#include <memory>
#include <utility>

#include "sklearn/neural_network/mlp_model.h"
#include "sklearn/state.h"

namespace inferd::sklearn {
namespace {

using pickle::Kind;
using pickle::Value;

StatusOr<Activation> ParseActivation(const Value& obj, std::string_view attr) {
  INFERD_ASSIGN_OR_RETURN(std::optional<std::string> name, GetOptionalString(obj, attr));
  if (!name.has_value()) return StateError(obj, "missing attribute '" + std::string(attr) + "'");
  if (*name == "identity") return Activation::kIdentity;
  if (*name == "logistic") return Activation::kLogistic;
  if (*name == "tanh") return Activation::kTanh;
  if (*name == "relu") return Activation::kRelu;
  if (*name == "softmax") return Activation::kSoftmax;
  return Status::Unimplemented(std::string(ShortClassName(obj.cls)) + ": activation '" + *name + "' is not supported");
}

// A list (or tuple) attribute of arrays.
StatusOr<const pickle::ValueList*> ArrayList(const Value& obj, std::string_view attr) {
  INFERD_ASSIGN_OR_RETURN(const Value* v, Require(obj, attr));
  if ((v->kind != Kind::kList && v->kind != Kind::kTuple) || v->items.empty()) {
    return StateError(obj, "'" + std::string(attr) + "' must be a non-empty list of arrays, found " + v->Describe());
  }
  for (const auto& item : v->items) {
    if (item == nullptr) return StateError(obj, "'" + std::string(attr) + "' holds a null element");
  }
  return &v->items;
}

StatusOr<std::vector<DenseLayer>> ReadLayers(const Value& obj) {
  INFERD_ASSIGN_OR_RETURN(const auto* coefs, ArrayList(obj, "coefs_"));
  INFERD_ASSIGN_OR_RETURN(const auto* icpts, ArrayList(obj, "intercepts_"));
  if (coefs->size() != icpts->size()) {
    return StateError(obj, "'coefs_' has " + std::to_string(coefs->size()) + " layers but 'intercepts_' has " +
                               std::to_string(icpts->size()));
  }
  std::vector<DenseLayer> layers;
  for (size_t i = 0; i < coefs->size(); ++i) {
    const std::string wn = "coefs_[" + std::to_string(i) + "]", bn = "intercepts_[" + std::to_string(i) + "]";
    INFERD_ASSIGN_OR_RETURN(DenseArray w, ToDense(obj, *(*coefs)[i], wn));
    INFERD_ASSIGN_OR_RETURN(DenseArray b, ToDense(obj, *(*icpts)[i], bn));
    if (w.shape.size() != 2 || w.shape[0] == 0 || w.shape[1] == 0 || w.shape[0] > kMaxDim || w.shape[1] > kMaxDim) {
      return StateError(obj, "'" + wn + "' must be a non-empty 2-D array, found shape " + ShapeString(w.shape));
    }
    if (!layers.empty() && w.shape[0] != layers.back().n_out) {
      return StateError(obj, "'" + wn + "' has shape " + ShapeString(w.shape) + " but the previous layer has " +
                                 std::to_string(layers.back().n_out) + " outputs");
    }
    if (b.shape.size() != 1 || b.shape[0] != w.shape[1]) {
      return StateError(
          obj, "'" + bn + "' has shape " + ShapeString(b.shape) + ", expected (" + std::to_string(w.shape[1]) + ",)");
    }
    layers.push_back(DenseLayer{w.shape[0], w.shape[1], std::move(w.data), std::move(b.data)});
  }
  if (const Value* nl = obj.Attr("n_layers_"); nl != nullptr) {
    StatusOr<int64_t> n = nl->AsInt();
    if (!n.ok() || *n != static_cast<int64_t>(layers.size()) + 1) {
      return StateError(obj, "'n_layers_' does not match the " + std::to_string(layers.size()) + " weight matrices");
    }
  }
  return layers;
}

StatusOr<ModelPtr> BuildMlp(const Value& obj, bool classifier) {
  INFERD_ASSIGN_OR_RETURN(std::vector<DenseLayer> layers, ReadLayers(obj));
  INFERD_ASSIGN_OR_RETURN(Activation hidden, ParseActivation(obj, "activation"));
  INFERD_ASSIGN_OR_RETURN(Activation output, ParseActivation(obj, "out_activation_"));
  if (hidden == Activation::kSoftmax) return StateError(obj, "'activation' cannot be softmax");
  INFERD_ASSIGN_OR_RETURN(size_t nf, CheckNFeatures(obj, layers.front().n_in));
  (void)nf;
  const size_t n_out = layers.back().n_out;
  std::vector<Label> classes;
  if (classifier) {
    INFERD_ASSIGN_OR_RETURN(classes, GetClasses(obj));
    const size_t k = classes.size();
    const bool binary = k == 2 && n_out == 1 && output == Activation::kLogistic;
    const bool multiclass = k > 2 && n_out == k && output == Activation::kSoftmax;
    if (!binary && !multiclass) {
      if (output == Activation::kLogistic && n_out > 1) {
        return Status::Unimplemented(std::string(ShortClassName(obj.cls)) +
                                     ": multi-label classifiers are not supported");
      }
      return StateError(obj, std::to_string(k) + " classes do not fit " + std::to_string(n_out) + " " +
                                 MlpModel::ActivationName(output) + " outputs");
    }
  } else if (output != Activation::kIdentity) {
    return StateError(obj, std::string("a regressor's output activation must be identity, found ") +
                               MlpModel::ActivationName(output));
  }
  return ModelPtr(std::make_unique<MlpModel>(std::string(ShortClassName(obj.cls)), std::move(layers), hidden, output,
                                             std::move(classes)));
}

StatusOr<ModelPtr> BuildClassifier(const Value& obj) { return BuildMlp(obj, true); }
StatusOr<ModelPtr> BuildRegressor(const Value& obj) { return BuildMlp(obj, false); }

}  // namespace

std::span<const AdapterEntry> NeuralNetworkAdapters() {
  static constexpr AdapterEntry kEntries[] = {
      {"sklearn.neural_network._multilayer_perceptron.MLPClassifier", &BuildClassifier},
      {"sklearn.neural_network._multilayer_perceptron.MLPRegressor", &BuildRegressor},
  };
  return kEntries;
}

}  // namespace inferd::sklearn
