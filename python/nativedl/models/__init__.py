"""nativedl.models: classic networks with torchvision's constructor names and parameter names.

Every image constructor takes num_classes and in_channels; those with a downsampling stem take
small_input=True for 32x32 inputs (a 3x3 stride-1 stem without the max pool). Parameter names and counts
equal torchvision's for the configurations torchvision has, so converted weights load with load_state_dict.
The sequence models (lstm_classifier, seq2seq_attention) take feature / vocabulary sizes instead.

lenet.py, vgg.py, resnet.py, mobilenet.py and sequence.py use nothing from nativedl but `nn` (PyTorch's API):
bench/cases/models.py builds the same networks from torch.nn by loading those files with torch.nn in its place.
"""
from .densenet import *  # noqa: F401,F403
from .inception import *  # noqa: F401,F403
from .lenet import *  # noqa: F401,F403
from .mobilenet import *  # noqa: F401,F403
from .resnet import *  # noqa: F401,F403
from .segmentation import *  # noqa: F401,F403
from .seq2seq import *  # noqa: F401,F403
from .sequence import *  # noqa: F401,F403
from .shufflenet import *  # noqa: F401,F403
from .vgg import *  # noqa: F401,F403
from . import densenet, inception, lenet, mobilenet, resnet, segmentation, seq2seq, sequence, shufflenet, vgg

__all__ = [name for mod in (lenet, vgg, inception, resnet, mobilenet, shufflenet, densenet, segmentation, sequence,
                            seq2seq)
           for name in mod.__all__]
