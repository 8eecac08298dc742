"""Evaluation metrics (scikit-learn's definitions, computed in NumPy; not training ops).

Every function accepts nativedl tensors or anything NumPy turns into an array. Classification
metrics take label arrays; curve metrics take binary labels and scores (higher = more positive);
segmentation metrics take label maps of any shape.
"""
import warnings

import numpy as np

from . import _C

__all__ = ["accuracy", "top_k_accuracy", "confusion_matrix", "precision", "recall", "f1_score", "fbeta_score",
           "precision_recall_fscore", "roc_curve", "roc_auc_score", "precision_recall_curve",
           "average_precision_score", "iou_score", "mean_iou", "dice_score", "true_positive_rate",
           "false_positive_rate"]


def _np(x):
    if isinstance(x, _C.Tensor):
        return np.array(x.detach().numpy())
    return np.asarray(x)


def _labels_pair(name, y_true, y_pred):
    y_true, y_pred = _np(y_true).reshape(-1), _np(y_pred)
    if y_pred.ndim == 2 and y_pred.shape[0] == y_true.shape[0] and y_pred.shape[1] > 1:
        y_pred = y_pred.argmax(1)  # class scores -> predicted class
    y_pred = y_pred.reshape(-1)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"[{name}] y_true has {y_true.size} labels but y_pred has {y_pred.size}")
    return y_true, y_pred


def accuracy(y_true, y_pred, normalize=True, sample_weight=None):
    """Fraction (or count, normalize=False) of correct predictions. y_pred may be labels or (N, C) scores."""
    y_true, y_pred = _labels_pair("accuracy", y_true, y_pred)
    correct = (y_true == y_pred).astype(np.float64)
    if sample_weight is not None:
        w = _np(sample_weight).astype(np.float64).reshape(-1)
        return float((correct * w).sum() / w.sum()) if normalize else float((correct * w).sum())
    return float(correct.mean()) if normalize else float(correct.sum())


def top_k_accuracy(y_true, y_score, k=2, normalize=True, labels=None):
    """Fraction of samples whose true class is among the k highest of its (N, C) scores. Ties go to the
    higher class index, as scikit-learn's top_k_accuracy_score."""
    y_true, y_score = _np(y_true).reshape(-1), _np(y_score)
    if y_score.ndim != 2 or y_score.shape[0] != y_true.size:
        raise ValueError(f"[top_k_accuracy] y_score must be (N, C) with N = {y_true.size}, got {y_score.shape}")
    classes = np.arange(y_score.shape[1]) if labels is None else np.asarray(labels)
    order = np.argsort(y_score, axis=1, kind="mergesort")[:, ::-1][:, :k]
    hits = (classes[order] == y_true[:, None]).any(axis=1)
    return float(hits.mean()) if normalize else float(hits.sum())


def _classes(y_true, y_pred, labels):
    return np.unique(np.concatenate([y_true, y_pred])) if labels is None else np.asarray(labels)


def confusion_matrix(y_true, y_pred, labels=None, normalize=None):
    """C[i, j] = number of samples of true class labels[i] predicted as labels[j]; labels default to the
    sorted union of both arrays. normalize: None, 'true' (rows), 'pred' (columns) or 'all'."""
    y_true, y_pred = _labels_pair("confusion_matrix", y_true, y_pred)
    classes = _classes(y_true, y_pred, labels)
    index = {c: i for i, c in enumerate(classes.tolist())}
    n = len(classes)
    ti = np.array([index.get(v, -1) for v in y_true.tolist()], dtype=np.int64)
    pi = np.array([index.get(v, -1) for v in y_pred.tolist()], dtype=np.int64)
    keep = (ti >= 0) & (pi >= 0)
    cm = np.bincount(ti[keep] * n + pi[keep], minlength=n * n).reshape(n, n)
    if normalize is None:
        return cm
    with np.errstate(all="ignore"):
        if normalize == "true":
            out = cm / cm.sum(axis=1, keepdims=True)
        elif normalize == "pred":
            out = cm / cm.sum(axis=0, keepdims=True)
        elif normalize == "all":
            out = cm / cm.sum()
        else:
            raise ValueError(f"[confusion_matrix] normalize must be None, 'true', 'pred' or 'all', got {normalize!r}")
    return np.nan_to_num(out)


def _divide(num, den, zero_division):
    out = np.full(np.shape(num), float(zero_division))
    np.divide(num, den, out=out, where=den != 0)
    return out


def precision_recall_fscore(y_true, y_pred, beta=1.0, labels=None, pos_label=1, average="binary",
                            zero_division=0.0):
    """(precision, recall, F-beta, support) as scikit-learn's precision_recall_fscore_support.

    average: 'binary' (the pos_label class), 'micro' (global counts), 'macro' (unweighted class mean),
    'weighted' (class mean weighted by support) or None (per-class arrays). A 0/0 gives zero_division."""
    name = "precision_recall_fscore"
    if average not in ("binary", "micro", "macro", "weighted", None):
        raise ValueError(f"[{name}] average must be 'binary', 'micro', 'macro', 'weighted' or None, got {average!r}")
    y_true, y_pred = _labels_pair(name, y_true, y_pred)
    present = _classes(y_true, y_pred, None)
    if average == "binary":
        if len(present) > 2:
            raise ValueError(f"[{name}] average='binary' needs binary labels, got {len(present)} classes "
                             f"{present.tolist()}; choose average='micro', 'macro' or 'weighted'")
        if len(present) == 2 and pos_label not in present.tolist():
            raise ValueError(f"[{name}] pos_label={pos_label!r} is not a valid label: {present.tolist()}")
        classes = np.asarray([pos_label])
    else:
        classes = _classes(y_true, y_pred, labels)
    tp = np.array([np.sum((y_true == c) & (y_pred == c)) for c in classes], dtype=np.float64)
    pred_sum = np.array([np.sum(y_pred == c) for c in classes], dtype=np.float64)
    true_sum = np.array([np.sum(y_true == c) for c in classes], dtype=np.float64)
    if average == "micro":
        tp, pred_sum, true_sum = tp.sum(keepdims=True), pred_sum.sum(keepdims=True), true_sum.sum(keepdims=True)
    b2 = beta * beta
    p = _divide(tp, pred_sum, zero_division)
    r = _divide(tp, true_sum, zero_division)
    f = _divide((1 + b2) * tp, b2 * true_sum + pred_sum, zero_division)
    if average is None:
        return p, r, f, true_sum.astype(np.int64)
    if average == "weighted":
        if true_sum.sum() == 0:
            return float(zero_division), float(zero_division), float(zero_division), None
        w = true_sum / true_sum.sum()
        return float((p * w).sum()), float((r * w).sum()), float((f * w).sum()), None
    return float(p.mean()), float(r.mean()), float(f.mean()), None


def precision(y_true, y_pred, labels=None, pos_label=1, average="binary", zero_division=0.0):
    """tp / (tp + fp)."""
    return precision_recall_fscore(y_true, y_pred, 1.0, labels, pos_label, average, zero_division)[0]


def recall(y_true, y_pred, labels=None, pos_label=1, average="binary", zero_division=0.0):
    """tp / (tp + fn)."""
    return precision_recall_fscore(y_true, y_pred, 1.0, labels, pos_label, average, zero_division)[1]


def fbeta_score(y_true, y_pred, beta, labels=None, pos_label=1, average="binary", zero_division=0.0):
    """(1 + beta^2) tp / ((1 + beta^2) tp + beta^2 fn + fp)."""
    return precision_recall_fscore(y_true, y_pred, beta, labels, pos_label, average, zero_division)[2]


def f1_score(y_true, y_pred, labels=None, pos_label=1, average="binary", zero_division=0.0):
    """The harmonic mean of precision and recall: 2 tp / (2 tp + fp + fn)."""
    return fbeta_score(y_true, y_pred, 1.0, labels, pos_label, average, zero_division)


def true_positive_rate(y_true, y_pred, pos_label=1):
    """tp / (tp + fn) (recall, sensitivity); 0 when there are no positives."""
    y_true, y_pred = _labels_pair("true_positive_rate", y_true, y_pred)
    pos = y_true == pos_label
    return float(_divide(np.sum(pos & (y_pred == pos_label)), np.sum(pos), 0.0))


def false_positive_rate(y_true, y_pred, pos_label=1):
    """fp / (fp + tn) (fall-out); 0 when there are no negatives."""
    y_true, y_pred = _labels_pair("false_positive_rate", y_true, y_pred)
    neg = y_true != pos_label
    return float(_divide(np.sum(neg & (y_pred == pos_label)), np.sum(neg), 0.0))


# ---------------------------------------------------------------- curves

def _binary_curve(name, y_true, y_score, pos_label):
    """(fps, tps, thresholds) at each distinct score, highest score first."""
    y_true, y_score = _np(y_true).reshape(-1), _np(y_score).reshape(-1).astype(np.float64)
    if y_true.size != y_score.size:
        raise ValueError(f"[{name}] y_true has {y_true.size} labels but y_score has {y_score.size} scores")
    classes = np.unique(y_true)
    if pos_label is None:
        if not (np.array_equal(classes, [0, 1]) or np.array_equal(classes, [-1, 1]) or np.array_equal(classes, [0])
                or np.array_equal(classes, [1]) or np.array_equal(classes, [-1])):
            raise ValueError(f"[{name}] y_true takes values {classes.tolist()}; pass pos_label explicitly")
        pos_label = 1
    if len(classes) > 2:
        raise ValueError(f"[{name}] y_true must be binary, got {len(classes)} classes")
    positive = (y_true == pos_label).astype(np.float64)
    order = np.argsort(y_score, kind="mergesort")[::-1]
    y_score, positive = y_score[order], positive[order]
    last = np.r_[np.where(np.diff(y_score))[0], y_score.size - 1]  # last index of each distinct score
    tps = np.cumsum(positive)[last]
    fps = 1 + last - tps
    return fps, tps, y_score[last]


def roc_curve(y_true, y_score, pos_label=None, drop_intermediate=True):
    """(fpr, tpr, thresholds), as scikit-learn: the first threshold is inf (nothing predicted positive);
    drop_intermediate removes points on straight segments. A rate with no positives (negatives) is NaN."""
    fps, tps, thr = _binary_curve("roc_curve", y_true, y_score, pos_label)
    if drop_intermediate and len(fps) > 2:
        keep = np.where(np.r_[True, np.logical_or(np.diff(fps, 2), np.diff(tps, 2)), True])[0]
        fps, tps, thr = fps[keep], tps[keep], thr[keep]
    fps, tps, thr = np.r_[0, fps], np.r_[0, tps], np.r_[np.inf, thr]
    if fps[-1] <= 0:
        warnings.warn("[roc_curve] no negative samples in y_true: false positive rate is undefined (NaN)")
    if tps[-1] <= 0:
        warnings.warn("[roc_curve] no positive samples in y_true: true positive rate is undefined (NaN)")
    with np.errstate(all="ignore"):
        fpr = fps / fps[-1] if fps[-1] > 0 else np.full(fps.shape, np.nan)
        tpr = tps / tps[-1] if tps[-1] > 0 else np.full(tps.shape, np.nan)
    return fpr, tpr, thr


def roc_auc_score(y_true, y_score, pos_label=None):
    """Area under the ROC curve by the trapezoidal rule (binary labels). With one class only in
    y_true it is undefined: a warning and NaN."""
    y = _np(y_true).reshape(-1)
    if len(np.unique(y)) != 2:
        warnings.warn("[roc_auc_score] only one class present in y_true: ROC AUC is not defined (NaN)")
        return float("nan")
    fpr, tpr, _ = roc_curve(y, y_score, pos_label=pos_label, drop_intermediate=True)
    return float(np.trapezoid(tpr, fpr) if hasattr(np, "trapezoid") else np.trapz(tpr, fpr))


def precision_recall_curve(y_true, y_score, pos_label=None, drop_intermediate=False):
    """(precision, recall, thresholds) with increasing thresholds, ending at precision 1, recall 0 (as
    scikit-learn). Without positives, recall is 1 everywhere (with a warning)."""
    fps, tps, thr = _binary_curve("precision_recall_curve", y_true, y_score, pos_label)
    if drop_intermediate and len(fps) > 2:
        keep = np.where(np.r_[True, np.logical_or(np.diff(fps, 2), np.diff(tps, 2)), True])[0]
        fps, tps, thr = fps[keep], tps[keep], thr[keep]
    prec = _divide(tps, tps + fps, 0.0)
    if tps[-1] == 0:
        warnings.warn("[precision_recall_curve] no positive samples in y_true: recall is set to 1")
        rec = np.ones_like(tps)
    else:
        rec = tps / tps[-1]
    return np.r_[prec[::-1], 1.0], np.r_[rec[::-1], 0.0], thr[::-1]


def average_precision_score(y_true, y_score, pos_label=None):
    """sum_n (R_n - R_{n-1}) P_n over the precision-recall curve (no interpolation, as scikit-learn)."""
    p, r, _ = precision_recall_curve(y_true, y_score, pos_label=pos_label)
    return float(max(0.0, -np.sum(np.diff(r) * p[:-1])))


# ---------------------------------------------------------------- segmentation

def _maps(name, y_true, y_pred, num_classes, ignore_index):
    y_true, y_pred = _np(y_true), _np(y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"[{name}] y_true {y_true.shape} and y_pred {y_pred.shape} must have the same shape")
    y_true, y_pred = y_true.reshape(-1).astype(np.int64), y_pred.reshape(-1).astype(np.int64)
    if ignore_index is not None:
        keep = y_true != ignore_index
        y_true, y_pred = y_true[keep], y_pred[keep]
    if num_classes is None:
        num_classes = int(max(y_true.max(initial=-1), y_pred.max(initial=-1))) + 1
    for arg, a in (("y_true", y_true), ("y_pred", y_pred)):
        if a.size and (a.min() < 0 or a.max() >= num_classes):
            raise ValueError(f"[{name}] {arg} holds labels outside [0, {num_classes})")
    cm = np.bincount(y_true * num_classes + y_pred, minlength=num_classes * num_classes)
    cm = cm.reshape(num_classes, num_classes).astype(np.float64)
    tp = np.diag(cm)
    return tp, cm.sum(0) - tp, cm.sum(1) - tp  # tp, fp, fn per class


def iou_score(y_true, y_pred, num_classes=None, ignore_index=None):
    """Per-class intersection over union tp / (tp + fp + fn) of two label maps; NaN for a class in
    neither map. Pixels whose true label is ignore_index are skipped."""
    tp, fp, fn = _maps("iou_score", y_true, y_pred, num_classes, ignore_index)
    return _divide(tp, tp + fp + fn, np.nan)


def mean_iou(y_true, y_pred, num_classes=None, ignore_index=None):
    """The mean of iou_score over classes present in either map."""
    iou = iou_score(y_true, y_pred, num_classes, ignore_index)
    return float(np.nanmean(iou)) if np.any(~np.isnan(iou)) else float("nan")


def dice_score(y_true, y_pred, num_classes=None, ignore_index=None, average="macro"):
    """Per-class Dice coefficient 2 tp / (2 tp + fp + fn) of two label maps (NaN for a class in neither);
    average='macro' gives their mean over present classes, None the array."""
    tp, fp, fn = _maps("dice_score", y_true, y_pred, num_classes, ignore_index)
    d = _divide(2 * tp, 2 * tp + fp + fn, np.nan)
    if average is None:
        return d
    if average != "macro":
        raise ValueError(f"[dice_score] average must be 'macro' or None, got {average!r}")
    return float(np.nanmean(d)) if np.any(~np.isnan(d)) else float("nan")
