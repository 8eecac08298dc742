"""Sequence models: an LSTM/GRU classifier (token ids or feature vectors in, class scores out)."""
from .. import nn

__all__ = ["LSTMClassifier", "lstm_classifier"]


class LSTMClassifier(nn.Module):
    """Embedding (for token ids) or features -> LSTM/GRU -> Linear on the last step's output.

    With vocab_size set, inputs are (N, T) integer ids; otherwise (N, T, input_size) features,
    e.g. an image read row by row: (N, 1, H, W) squeezed to (N, H, W).
    """

    def __init__(self, num_classes, input_size, hidden_size=128, num_layers=1, vocab_size=None, cell="lstm",
                 bidirectional=False, dropout=0.0):
        super().__init__()
        if cell not in ("lstm", "gru"):
            raise ValueError(f"[lstm_classifier] cell must be 'lstm' or 'gru', got '{cell}'")
        self.embedding = nn.Embedding(vocab_size, input_size) if vocab_size is not None else None
        rnn = nn.LSTM if cell == "lstm" else nn.GRU
        self.rnn = rnn(input_size, hidden_size, num_layers, batch_first=True, bidirectional=bidirectional,
                       dropout=dropout if num_layers > 1 else 0.0)
        self.fc = nn.Linear(hidden_size * (2 if bidirectional else 1), num_classes)

    def forward(self, x):
        if self.embedding is not None:
            x = self.embedding(x)
        elif x.ndim == 4 and x.shape[1] == 1:
            x = x.squeeze(1)  # (N, 1, H, W) image: H steps of W features
        out, _ = self.rnn(x)
        return self.fc(out[:, -1])


def lstm_classifier(num_classes=10, input_size=8, hidden_size=128, **kwargs):
    return LSTMClassifier(num_classes, input_size, hidden_size, **kwargs)
