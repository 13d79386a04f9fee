package api

import "github.com/gamedata-dev/gamedata"

// Paging is the query parameters of every list.
type Paging struct {
	Limit     int    `query:"limit" minimum:"1" maximum:"500" default:"50" doc:"items per page"`
	PageToken string `query:"page_token" maxLength:"1024" doc:"next_page_token of the previous page"`
}

func (p Paging) request() gamedata.PageRequest {
	return gamedata.PageRequest{Limit: p.Limit, Token: p.PageToken}
}

// page is one page of a list on the wire.
type page[T any] struct {
	Items         []T    `json:"items"`
	NextPageToken string `json:"next_page_token,omitempty" doc:"absent on the last page"`
}

type pageOut[T any] struct {
	Body page[T]
}

// pageOf answers a store's page; a page without items has "items": [].
func pageOf[T any](p gamedata.Page[T], err error) (*pageOut[T], error) {
	if err != nil {
		return nil, err
	}
	if p.Items == nil {
		p.Items = []T{}
	}
	return &pageOut[T]{Body: page[T]{Items: p.Items, NextPageToken: p.NextToken}}, nil
}
