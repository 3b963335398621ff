"""red_packet"""
