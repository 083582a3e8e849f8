"""Customer segmentation: RFM scores, named segments with definitions, optional behaviour clusters."""

from bizpilot.ml.segment.rfm import SEGMENT_BY_KEY, SEGMENTS, BehaviourClusters, RFMSegmenter, Segment, rfm_values

__all__ = ["SEGMENTS", "SEGMENT_BY_KEY", "BehaviourClusters", "RFMSegmenter", "Segment", "rfm_values"]
