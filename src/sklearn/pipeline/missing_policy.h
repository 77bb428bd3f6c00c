// How NaN ("missing") flows through composite models.
//
// Model::accepts_missing() says whether a model may be GIVEN NaN. For a composite that is
// not enough: Pipeline(SimpleImputer, LogisticRegression) accepts NaN although its last step
// does not, because the imputer removes NaN first; Pipeline(StandardScaler,
// LogisticRegression) does not, because the scaler passes NaN on. Transformers that
// guarantee NaN-free output whatever their input implement RemovesMissing.
//
// Rule (sklearn's behaviour): a pipeline accepts NaN iff every step up to and including the
// first step that removes NaN accepts NaN (and, if no step removes it, every step does).
//
// Thread safety: pure queries on immutable models.
#ifndef INFERD_SKLEARN_PIPELINE_MISSING_POLICY_H_
#define INFERD_SKLEARN_PIPELINE_MISSING_POLICY_H_

#include "inferd/model.h"

namespace inferd::sklearn {

class RemovesMissing {
 public:
  virtual ~RemovesMissing() = default;
  // True if Transform's output never contains NaN (for inputs accepts_missing() allows).
  virtual bool removes_missing() const = 0;
};

inline bool OutputFreeOfMissing(const Model& m) {
  const auto* r = dynamic_cast<const RemovesMissing*>(&m);
  return r != nullptr && r->removes_missing();
}

}  // namespace inferd::sklearn

#endif  // INFERD_SKLEARN_PIPELINE_MISSING_POLICY_H_
