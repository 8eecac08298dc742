"""nativedl.metrics against scikit-learn on random and edge-case inputs (one class only, tied scores,
no positives), with nativedl tensors and NumPy arrays as inputs."""
import warnings

import numpy as np
import pytest

import nativedl as nd
from nativedl import metrics as M

sk = pytest.importorskip("sklearn.metrics")

rng = np.random.default_rng(0)
MULTI_TRUE = rng.integers(0, 4, size=60)
MULTI_PRED = np.where(rng.uniform(size=60) < 0.6, MULTI_TRUE, rng.integers(0, 4, size=60))
BIN_TRUE = rng.integers(0, 2, size=50)
BIN_PRED = np.where(rng.uniform(size=50) < 0.7, BIN_TRUE, 1 - BIN_TRUE)
LABEL_CASES = {
    "binary": (BIN_TRUE, BIN_PRED),
    "multiclass": (MULTI_TRUE, MULTI_PRED),
    "one_class": (np.ones(10, dtype=np.int64), np.ones(10, dtype=np.int64)),
    "no_positive_pred": (BIN_TRUE, np.zeros(50, dtype=np.int64)),
    "no_positive_true": (np.zeros(8, dtype=np.int64), np.array([0, 1, 0, 0, 1, 0, 0, 0])),
}
SCORE_CASES = {
    "random": (BIN_TRUE, rng.uniform(size=50)),
    "ties": (BIN_TRUE, rng.integers(0, 4, size=50) / 4.0),
    "all_tied": (BIN_TRUE, np.full(50, 0.5)),
    "perfect": (np.array([0, 0, 1, 1]), np.array([0.1, 0.2, 0.8, 0.9])),
    "minus_one_labels": (2 * BIN_TRUE - 1, rng.normal(size=50)),
}


def both(a):
    """The same data as a NumPy array and as a nativedl tensor."""
    return [a, nd.from_numpy(np.ascontiguousarray(a))]


def is_binary(y_true, y_pred):
    return len(np.union1d(y_true, y_pred)) <= 2


@pytest.mark.filterwarnings("ignore::UserWarning")  # scikit-learn's notes on single-label inputs
@pytest.mark.parametrize("case", LABEL_CASES)
def test_label_metrics(case):
    y_true, y_pred = LABEL_CASES[case]
    for yt, yp in zip(both(y_true), both(y_pred)):
        assert M.accuracy(yt, yp) == pytest.approx(sk.accuracy_score(y_true, y_pred))
        assert M.accuracy(yt, yp, normalize=False) == sk.accuracy_score(y_true, y_pred, normalize=False)
        np.testing.assert_array_equal(M.confusion_matrix(yt, yp), sk.confusion_matrix(y_true, y_pred))
        averages = ["micro", "macro", "weighted", None] + (["binary"] if is_binary(y_true, y_pred) else [])
        for average in averages:
            for ours, theirs in ((M.precision, sk.precision_score), (M.recall, sk.recall_score),
                                 (M.f1_score, sk.f1_score)):
                np.testing.assert_allclose(ours(yt, yp, average=average),
                                           theirs(y_true, y_pred, average=average, zero_division=0),
                                           err_msg=f"{ours.__name__} {average}")
            for beta in (0.5, 2.0):
                np.testing.assert_allclose(M.fbeta_score(yt, yp, beta=beta, average=average),
                                           sk.fbeta_score(y_true, y_pred, beta=beta, average=average, zero_division=0))


def test_confusion_matrix_labels_and_normalize():
    labels = [3, 0, 1, 2]
    np.testing.assert_array_equal(M.confusion_matrix(MULTI_TRUE, MULTI_PRED, labels=labels),
                                  sk.confusion_matrix(MULTI_TRUE, MULTI_PRED, labels=labels))
    for norm in ("true", "pred", "all"):
        np.testing.assert_allclose(M.confusion_matrix(MULTI_TRUE, MULTI_PRED, normalize=norm),
                                   sk.confusion_matrix(MULTI_TRUE, MULTI_PRED, normalize=norm))


def test_rates():
    for y_true, y_pred in LABEL_CASES.values():
        if not is_binary(y_true, y_pred):
            continue
        cm = sk.confusion_matrix(y_true, y_pred, labels=[0, 1])
        tn, fp, fn, tp = cm.ravel()
        assert M.true_positive_rate(y_true, y_pred) == (tp / (tp + fn) if tp + fn else 0.0)
        assert M.false_positive_rate(y_true, y_pred) == (fp / (fp + tn) if fp + tn else 0.0)


@pytest.mark.filterwarnings("ignore::UserWarning")  # scikit-learn: k >= n_classes is a perfect score
def test_accuracy_from_scores_and_top_k():
    scores = rng.normal(size=(60, 4))
    scores[:5] = 0.0  # ties
    labels = np.argmax(scores, 1)
    assert M.accuracy(nd.from_numpy(MULTI_TRUE), nd.from_numpy(scores)) == sk.accuracy_score(MULTI_TRUE, labels)
    for k in (1, 2, 3, 4):
        assert M.top_k_accuracy(MULTI_TRUE, scores, k=k) == pytest.approx(
            sk.top_k_accuracy_score(MULTI_TRUE, scores, k=k, labels=[0, 1, 2, 3]))


@pytest.mark.parametrize("case", SCORE_CASES)
def test_curves(case):
    y_true, y_score = SCORE_CASES[case]
    for yt, ys in zip(both(y_true), both(y_score)):
        for drop in (True, False):
            for a, b in zip(M.roc_curve(yt, ys, drop_intermediate=drop), sk.roc_curve(y_true, y_score, drop_intermediate=drop)):
                np.testing.assert_allclose(a, b)
        for a, b in zip(M.precision_recall_curve(yt, ys), sk.precision_recall_curve(y_true, y_score)):
            np.testing.assert_allclose(a, b)
        assert M.roc_auc_score(yt, ys) == pytest.approx(sk.roc_auc_score(y_true, y_score))
        assert M.average_precision_score(yt, ys) == pytest.approx(sk.average_precision_score(y_true, y_score))


def test_curves_without_positives_or_negatives():
    y_score = rng.uniform(size=10)
    for y_true in (np.zeros(10, dtype=np.int64), np.ones(10, dtype=np.int64)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs_roc = sk.roc_curve(y_true, y_score)
            theirs_pr = sk.precision_recall_curve(y_true, y_score)
            theirs_ap = sk.average_precision_score(y_true, y_score)
        with pytest.warns(UserWarning):
            ours_roc = M.roc_curve(y_true, y_score)
        for a, b in zip(ours_roc, theirs_roc):
            np.testing.assert_allclose(a, b)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for a, b in zip(M.precision_recall_curve(y_true, y_score), theirs_pr):
                np.testing.assert_allclose(a, b)
            assert M.average_precision_score(y_true, y_score) == pytest.approx(theirs_ap)
        with pytest.warns(UserWarning, match="only one class"):
            assert np.isnan(M.roc_auc_score(y_true, y_score))


def test_segmentation_metrics():
    y_true = rng.integers(0, 4, size=(2, 8, 8))
    y_pred = np.where(rng.uniform(size=(2, 8, 8)) < 0.7, y_true, rng.integers(0, 4, size=(2, 8, 8)))
    y_pred[y_pred == 3] = 2  # class 3 never predicted
    for yt, yp in zip(both(y_true), both(y_pred)):
        np.testing.assert_allclose(M.iou_score(yt, yp, num_classes=5)[:4],
                                   sk.jaccard_score(y_true.ravel(), y_pred.ravel(), average=None, labels=[0, 1, 2, 3]))
        assert np.isnan(M.iou_score(yt, yp, num_classes=5)[4])  # class 4 in neither map
        assert M.mean_iou(yt, yp, num_classes=5) == pytest.approx(
            sk.jaccard_score(y_true.ravel(), y_pred.ravel(), average="macro", labels=[0, 1, 2, 3]))
        np.testing.assert_allclose(M.dice_score(yt, yp, average=None),
                                   sk.f1_score(y_true.ravel(), y_pred.ravel(), average=None, labels=[0, 1, 2, 3]))
    keep = y_true.ravel() != 1
    got = M.iou_score(y_true, y_pred, num_classes=4, ignore_index=1)
    want = sk.jaccard_score(y_true.ravel()[keep], y_pred.ravel()[keep], average=None, labels=[0, 1, 2, 3],
                            zero_division=0)
    np.testing.assert_allclose(np.nan_to_num(got), want)


def test_metric_errors():
    with pytest.raises(ValueError, match=r"\[precision_recall_fscore\] average='binary' needs binary labels"):
        M.f1_score(MULTI_TRUE, MULTI_PRED)
    with pytest.raises(ValueError, match=r"\[accuracy\] y_true has 3 labels but y_pred has 2"):
        M.accuracy([0, 1, 1], [0, 1])
    with pytest.raises(ValueError, match=r"\[roc_curve\] y_true must be binary"):
        M.roc_curve([0, 1, 2], [0.1, 0.2, 0.3], pos_label=1)
    with pytest.raises(ValueError, match=r"\[iou_score\] y_pred holds labels outside \[0, 2\)"):
        M.iou_score(np.array([0, 1]), np.array([0, 2]), num_classes=2)
