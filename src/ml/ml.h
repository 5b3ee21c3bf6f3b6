#pragma once

// ml: netfin's gradient-boosted-model library, shared by the risk role
// (fraud model, one score per payment) and the credit role (default model).
// It knows data, models and metrics, nothing of payments or loans; the roles
// build their features and decide what a score means. Depends on core and on
// XGBoost's C API (Debian libxgboost-dev, 1.7), which stays behind this
// folder: nothing here exposes an XGBoost type.
//
// The pieces:
//   - Dataset (dataset.h): named float features in a row-major matrix, NaN
//     for missing, 0/1 labels. LoadCsv reads any CSV with a header (quotes
//     allowed): numeric columns as they are, other columns one-hot over the
//     categories_max most frequent values plus "other", id-like columns left
//     out by name. The learnt Encoding is kept and can be applied to another
//     file (CsvOptions::encoding) so both share one feature layout.
//   - StratifiedSplit (split.h): train/test row indices that keep the
//     positive rate, identical for a seed on every platform (netfin's own
//     Fisher-Yates over std::mt19937_64).
//   - GbmModel (gbm_model.h): XGBoost binary:logistic training; probability
//     and margin for one row or for many; exact SHAP contributions and the
//     top reasons behind a score; Save/Load of XGBoost's JSON model with a
//     sidecar that pins the feature names (and encoding), so a model is never
//     fed features it was not trained on.
//   - Forest (forest.h): the trees compiled at load into one flat node array;
//     GbmModel scores and explains one row with it, bit-equal to XGBoost.
//   - Metrics (metrics.h): ROC AUC, average precision, recall at a false
//     positive rate, KS; ties as one threshold; one-class input is an error.
//
// One-row latency, measured (paysim fraud model, 200 trees of depth 6, 13
// features, `netfin bench risk`, 2-core VM): 1.2 us through the Forest,
// against 8.5 us through XGBoost's inplace prediction, whose fixed cost per
// call (its config parsed as JSON, feature vectors allocated) was most of
// it. SHAP contributions: 16 to 190 us per row, depending on the trees
// (XGBoost's call: 100 to 400 us): for explaining a decision, not for
// scoring every payment. Batches go to XGBoost: about 1.5 us per row on 2
// threads.
//
// Typical use:
//   auto data = ml::LoadCsv(path, "default.payment.next.month", "1", {.exclude = {"ID"}});
//   auto split = ml::StratifiedSplit(data->labels, 0.2, /*seed=*/7);
//   auto model = ml::GbmModel::Train(*data, split->train, {});
//   auto scores = model->PredictProbabilities(*data, split->test);
//   auto auc = ml::RocAuc(*scores, data->LabelsOf(split->test));
//
// Errors are core::Status values (never exceptions); XGBoost's failures
// carry XGBGetLastError()'s text. Threads: see each class.

#include "ml/dataset.h"
#include "ml/forest.h"
#include "ml/gbm_model.h"
#include "ml/metrics.h"
#include "ml/split.h"
